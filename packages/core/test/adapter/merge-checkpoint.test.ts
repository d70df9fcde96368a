import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeIntoStateDict, readSafetensors, referenceBackend, writeSafetensors, type HostTensor } from '@vblora/core';
import { mergeCheckpoint, readAdapterDir, SHARD_INDEX_FILE } from '@vblora/core/node';
import { createCpuBackend } from '@vblora/cpu';
import { readGoldenTensors } from '../helpers/golden-files.js';
import { goldenPath, type GoldenCase } from '../helpers/golden-paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'vblora-merge-ckpt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const read = (p: string) => readSafetensors(new Uint8Array(readFileSync(p))).tensors;

/** Splits a golden base into two shards with a transformers-style index. */
function shard(c: GoldenCase, dir: string): Map<string, HostTensor> {
  const base = readGoldenTensors(c, 'base.safetensors');
  mkdirSync(dir, { recursive: true });
  const names = [...base.keys()];
  const half = Math.ceil(names.length / 2);
  const files = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  const weightMap: Record<string, string> = {};
  names.forEach((n, i) => (weightMap[n] = files[i < half ? 0 : 1]!));
  files.forEach((f, s) => {
    const part = new Map(names.filter((_, i) => i < half === (s === 0)).map((n) => [n, base.get(n)!]));
    writeFileSync(join(dir, f), writeSafetensors(part));
  });
  writeFileSync(join(dir, SHARD_INDEX_FILE), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
  return base;
}

describe('mergeCheckpoint streams a base checkpoint tensor by tensor (tolerance: bit-identical to mergeIntoStateDict)', () => {
  for (const c of [
    'llama_f32_vl16_nv64_top2',
    'llama_bf16_vl16_nv256_top2_layer1_bias',
    'gpt2_conv1d_fan_in_fan_out_f32',
  ] as const) {
    it(`${c}: sharded folder in, sharded folder out with the same index`, async () => {
      const inDir = join(tmp, `${c}-in`);
      const outDir = join(tmp, `${c}-out`);
      const base = shard(c, inDir);
      const { adapter } = await readAdapterDir(goldenPath(c, 'adapter_full'));
      // the cpu backend for compose: the same bits as the reference, and the merge stays on the pool
      const result = await mergeCheckpoint(adapter, inDir, outDir, {
        threads: 1,
        backend: c.startsWith('llama_f32') ? createCpuBackend() : referenceBackend,
      });
      expect(result.mergedModules).toBe(adapter.modules.size);
      const expected = await mergeIntoStateDict(adapter, base);
      const got = new Map<string, HostTensor>();
      for (const f of readdirSync(outDir).filter((x) => x.endsWith('.safetensors'))) {
        const inKeys = [...read(join(inDir, f)).keys()];
        const outTensors = read(join(outDir, f));
        expect([...outTensors.keys()]).toEqual(inKeys);
        for (const [k, t] of outTensors) got.set(k, t);
      }
      expect(readFileSync(join(outDir, SHARD_INDEX_FILE), 'utf8')).toContain('model-00002-of-00002.safetensors');
      expect(got.size).toBe(expected.size);
      for (const [k, t] of expected) {
        expect(got.get(k)!.dtype, k).toBe(t.dtype);
        expect(
          Buffer.from(got.get(k)!.data.buffer, got.get(k)!.data.byteOffset, got.get(k)!.data.byteLength).equals(
            Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
          ),
          k,
        ).toBe(true);
      }
      expect(readdirSync(outDir).filter((f) => f.startsWith('.vblora-tmp-'))).toEqual([]);
    });
  }

  it('a single file in, a single file out; a wrong base is rejected before anything is written', async () => {
    const out = join(tmp, 'single.safetensors');
    const { adapter } = await readAdapterDir(goldenPath('llama_f32_vl16_nv64_top2', 'adapter_topk'));
    await mergeCheckpoint(adapter, goldenPath('llama_f32_vl16_nv64_top2', 'base.safetensors'), out);
    expect(read(out).size).toBe(readGoldenTensors('llama_f32_vl16_nv64_top2', 'base.safetensors').size);
    const wrong = join(tmp, 'wrong.safetensors');
    await expect(
      mergeCheckpoint(adapter, goldenPath('gpt2_conv1d_fan_in_fan_out_f32', 'base.safetensors'), wrong),
    ).rejects.toMatchObject({
      name: 'AdapterError',
    });
    expect(readdirSync(tmp).filter((f) => f === 'wrong.safetensors' || f.startsWith('.vblora-tmp-'))).toEqual([]);
  });
});
