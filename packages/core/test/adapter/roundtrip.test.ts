import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adapterFromFiles, adapterToFiles, adapterFlavour } from '@vblora/core';
import { listAdapterNames, readAdapterDir, readAdapters, writeAdapterDir } from '@vblora/core/node';
import { readGoldenBytes } from '../helpers/golden-files.js';
import { GOLDEN_CASES, goldenPath } from '../helpers/golden-paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'vblora-adapter-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('adapter files round-trip byte for byte (tolerance: exact bytes)', () => {
  for (const c of GOLDEN_CASES) {
    for (const flavour of ['adapter_full', 'adapter_topk'] as const) {
      it(`${c}/${flavour}`, () => {
        const config = readFileSync(goldenPath(c, flavour, 'adapter_config.json'), 'utf8');
        const weights = readGoldenBytes(c, flavour, 'adapter_model.safetensors');
        const { adapter } = adapterFromFiles({ config, weights });
        expect(adapterFlavour(adapter)).toBe(flavour === 'adapter_full' ? 'full' : 'topk');
        const out = adapterToFiles(adapter);
        expect(out.config).toBe(config);
        expect(Buffer.from(out.weights).equals(Buffer.from(weights))).toBe(true);
      });
    }
  }
});

describe('adapter directories', () => {
  it('a non-default adapter name lives in a sub-folder, several adapters load at once', async () => {
    const { adapter: a } = await readAdapterDir(goldenPath('llama_f32_vl16_nv64_top2', 'adapter_full'));
    const { adapter: b } = await readAdapterDir(goldenPath('llama_f32_vl32_nv300_top3_regex', 'adapter_topk'));
    const dir = join(tmp, 'multi');
    expect(await writeAdapterDir(dir, a)).toBe(dir);
    expect(await writeAdapterDir(dir, { ...b, name: 'second' })).toBe(join(dir, 'second'));
    expect(await listAdapterNames(dir)).toEqual(['default', 'second']);
    const all = await readAdapters(dir);
    expect([...all.keys()]).toEqual(['default', 'second']);
    expect(all.get('second')!.adapter.name).toBe('second');
    expect(all.get('second')!.adapter.config.num_vectors).toBe(300);
    expect(
      readFileSync(join(dir, 'second', 'adapter_model.safetensors')).equals(
        Buffer.from(readGoldenBytes('llama_f32_vl32_nv300_top3_regex', 'adapter_topk', 'adapter_model.safetensors')),
      ),
    ).toBe(true);
  });

  it('bias and modules_to_save tensors pass through unchanged', async () => {
    const { adapter } = await readAdapterDir(goldenPath('llama_bf16_vl16_nv256_top2_layer1_bias', 'adapter_full'));
    const keys = [...adapter.extraTensors.keys()];
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => k.endsWith('.base_layer.bias'))).toBe(true);
    const { adapter: regex } = await readAdapterDir(goldenPath('llama_f32_vl32_nv300_top3_regex', 'adapter_full'));
    expect([...regex.extraTensors.keys()].sort()).toEqual([
      'base_model.model.head.bias',
      'base_model.model.head.weight',
    ]);
  });

  it('a missing directory or weights file is a typed error', async () => {
    await expect(readAdapterDir(join(tmp, 'nope'))).rejects.toMatchObject({ name: 'AdapterError' });
  });
});
