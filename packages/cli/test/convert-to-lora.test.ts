/**
 * `vblora convert --to-lora` end to end: the files it writes are the library's (`toLoraAdapter` + `loraToFiles`,
 * which packages/core/test/convert checks against PEFT's save_as_lora value by value), its config bytes are PEFT's,
 * and bad usage or input leaves no output.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loraToFiles, readSafetensors, toLoraAdapter } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { peftGoldenPath } from '@vblora/conformance';
import { vblora } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'vblora-cli-lora-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
/** PEFT's save_as_lora outputs (packages/conformance/fixtures/peft-lora). */
const PEFT_LORA = resolve(fileURLToPath(new URL('../../', import.meta.url)), 'conformance/fixtures/peft-lora');
const read = (p: string) => readSafetensors(new Uint8Array(readFileSync(p))).tensors;

describe('vblora convert --to-lora', () => {
  it('default rank: the library’s bytes, PEFT’s keys, shapes and config (target_modules as a set)', async () => {
    const c = 'gpt2_conv1d_fan_in_fan_out_f32';
    const out = join(tmp, 'default');
    const r = await vblora('convert', peftGoldenPath(c, 'adapter_topk'), '--to-lora', '-o', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wrote LoRA adapter \(rank 4, 8 modules\) to /);
    const files = loraToFiles(await toLoraAdapter((await readAdapterDir(peftGoldenPath(c, 'adapter_topk'))).adapter));
    expect(readFileSync(join(out, 'adapter_config.json'), 'utf8')).toBe(files.config);
    expect(new Uint8Array(readFileSync(join(out, 'adapter_model.safetensors')))).toEqual(files.weights);
    const peftDir = join(PEFT_LORA, c, 'topk', 'rank4');
    const ours = read(join(out, 'adapter_model.safetensors'));
    const peft = read(join(peftDir, 'adapter_model.safetensors'));
    expect([...ours.keys()].sort()).toEqual([...peft.keys()].sort());
    for (const [k, t] of peft) expect([ours.get(k)!.dtype, ...ours.get(k)!.shape], k).toEqual([t.dtype, ...t.shape]);
    const mine = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    const theirs = JSON.parse(readFileSync(join(peftDir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(new Set(mine.target_modules as string[])).toEqual(new Set(theirs.target_modules as string[]));
    expect({ ...mine, target_modules: null }).toEqual({ ...theirs, target_modules: null });
  });

  it('--energy 0.5 on a regex target: adapter_config.json byte-equal to PEFT’s (ranks per module)', async () => {
    const c = 'llama_f32_vl32_nv300_top3_regex';
    const out = join(tmp, 'energy');
    const r = await vblora('convert', peftGoldenPath(c, 'adapter_full'), '--to-lora', '--energy', '0.5', '-o', out);
    expect(r.status, r.stderr).toBe(0);
    const peftDir = join(PEFT_LORA, c, 'full', 'energy0.5');
    expect(readFileSync(join(out, 'adapter_config.json'), 'utf8')).toBe(
      readFileSync(join(peftDir, 'adapter_config.json'), 'utf8'),
    );
    const head = 'base_model.model.head.weight';
    expect(read(join(out, 'adapter_model.safetensors')).get(head)!.data).toEqual(
      read(join(peftDir, 'adapter_model.safetensors')).get(head)!.data,
    );
  });

  it('--rank 2: rank-2 factors', async () => {
    const out = join(tmp, 'rank2');
    const r = await vblora(
      'convert',
      peftGoldenPath('llama_f32_vl16_nv64_top2', 'adapter_full'),
      '--to-lora',
      '--rank',
      '2',
      '-o',
      out,
    );
    expect(r.status, r.stderr).toBe(0);
    for (const [k, t] of read(join(out, 'adapter_model.safetensors'))) {
      expect(k.endsWith('.lora_A.weight') ? t.shape[0] : t.shape[1], k).toBe(2);
    }
  });

  for (const [what, extra] of [
    ['--rank with --energy', ['--to-lora', '--rank', '2', '--energy', '0.5']],
    ['--to-lora with --full', ['--to-lora', '--full']],
    ['--to-lora with --topk-only', ['--to-lora', '--topk-only']],
    ['--rank without --to-lora', ['--full', '--rank', '2']],
    ['a --rank that is not a whole number', ['--to-lora', '--rank', '2.5']],
    ['an --energy that is not a number', ['--to-lora', '--energy', 'lots']],
  ] as const) {
    it(`refuses ${what} as bad usage (exit 2), writing nothing`, async () => {
      const out = join(tmp, `usage-${what.replace(/\W+/g, '-')}`);
      const r = await vblora(
        'convert',
        peftGoldenPath('llama_f32_vl16_nv64_top2', 'adapter_full'),
        ...extra,
        '-o',
        out,
      );
      expect(r.status, r.stderr).toBe(2);
      expect(existsSync(out)).toBe(false);
    });
  }

  for (const [what, c, extra, message] of [
    [
      'bias other than none, with PEFT’s message',
      'llama_bf16_vl16_nv256_top2_layer1_bias',
      [],
      "ConfigError: The adapter's config sets bias=vblora_only, this is not supported right now.",
    ],
    [
      'a rank above min(in, out), with PEFT’s message',
      'llama_f32_vl16_nv64_top2',
      ['--rank', '65'],
      'ConfigError: The chosen rank 65 is larger than the weight shape (64), please choose a lower rank.',
    ],
    [
      'an energy above 1, with PEFT’s message',
      'llama_f32_vl16_nv64_top2',
      ['--energy', '1.5'],
      'ConfigError: If rank is a float, it is interpreted as a threshold. It must be between 0 and 1 but got 1.5.',
    ],
    [
      'rank 0, with PEFT’s message',
      'llama_f32_vl16_nv64_top2',
      ['--rank', '0'],
      "ConfigError: Passing a rank of 0 doesn't make sense, please pass a valid value.",
    ],
    [
      'a memory budget that holds the adapter but not its rank-60 factors',
      'llama_f32_vl16_nv64_top2',
      ['--rank', '60', '--max-memory', '300000'],
      'ResourceLimitError: convert --to-lora: the LoRA factors of 12 modules',
    ],
  ] as const) {
    it(`refuses ${what} (exit 1), writing nothing`, async () => {
      const out = join(tmp, `bad-${what.replace(/\W+/g, '-')}`);
      const r = await vblora('convert', peftGoldenPath(c, 'adapter_full'), '--to-lora', ...extra, '-o', out);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toContain(message);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('notes the top-k rows PEFT would reload as NaN (where PEFT’s own conversion fails) and converts', async () => {
    const out = join(tmp, 'edge');
    const r = await vblora(
      'convert',
      peftGoldenPath('edge_topk3_ties_zero_nan', 'adapter_topk'),
      '--to-lora',
      '-o',
      out,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^vblora: note: proj\.A row 0: PEFT would reload this row as NaN/);
    expect(existsSync(join(out, 'adapter_model.safetensors'))).toBe(true);
  });

  it('refuses an output folder that is the input folder', async () => {
    const dir = peftGoldenPath('llama_f32_vl16_nv64_top2', 'adapter_full');
    const before = readFileSync(join(dir, 'adapter_config.json'));
    const r = await vblora('convert', dir, '--to-lora', '-o', dir);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('PathError');
    expect(readFileSync(join(dir, 'adapter_config.json')).equals(before)).toBe(true);
  });
});
