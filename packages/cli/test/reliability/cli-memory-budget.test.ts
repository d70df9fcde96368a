import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BANK_KEY, factorKey, tensor, writeSafetensors, type HostTensor } from '@vblora/core';
import { peftGoldenPath } from '@vblora/conformance';
import { vblora } from '../helpers.js';
import {
  hugeModuleAdapter,
  oneTypedLine,
  smallAdapter,
  snapshotTree,
  writeAdapter,
} from './helpers/hostile-adapters.js';
import { defaultMaxMemory } from '../../src/commands/memory-option.js';

// #14 defect 7: a 7.8 KB adapter declaring one 65536×65536 module made compose run 100 s at 16.9 GB resident (or
// end as "internal error: RangeError"). Rule: every allocation sized by file contents is checked against a budget
// (default 4 GiB or half the machine's memory if less, `--max-memory SIZE`) before it is made, so such a file fails at once with a ResourceLimitError.
// "At once" = under 1 s (the check itself is microseconds); "no allocation" = ArrayBuffer growth under 16 MiB.
const FAST_MS = 1000;
const SMALL_GROWTH = 16 * 2 ** 20;
const tmp = mkdtempSync(join(tmpdir(), 'vblora-budget-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const TOPK = peftGoldenPath('llama_f32_vl16_nv64_top2', 'adapter_topk');
const BASE = peftGoldenPath('llama_f32_vl16_nv64_top2', 'base.safetensors');

async function timed(argv: string[]): Promise<{ status: number; stderr: string; ms: number; growth: number }> {
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  const r = await vblora(...argv);
  return {
    status: r.status,
    stderr: r.stderr,
    ms: performance.now() - t0,
    growth: process.memoryUsage().arrayBuffers - before,
  };
}

describe('defect 7: memory from a tiny file is refused before it is allocated', () => {
  it('compose of the ~8 KB adapter declaring one 65536×65536 module: ResourceLimitError at once, no output', async () => {
    const dir = hugeModuleAdapter(join(tmp, 'huge'));
    expect(statSync(join(dir, 'adapter_model.safetensors')).size).toBeLessThan(10_000);
    const out = join(tmp, 'huge.safetensors');
    const r = await timed(['compose', dir, '-o', out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(oneTypedLine('ResourceLimitError'));
    expect(r.stderr).toContain(
      `over the memory budget of ${(defaultMaxMemory() / 2 ** 20).toFixed(1)} MiB; raise it (--max-memory)`,
    );
    expect(r.ms).toBeLessThan(FAST_MS);
    expect(r.growth).toBeLessThan(SMALL_GROWTH);
    expect(existsSync(out)).toBe(false);
  });

  it('the same for 262144×262144, and for a budget raised by --max-memory 64GiB', async () => {
    const dir = hugeModuleAdapter(join(tmp, 'huger'), 262_144);
    for (const extra of [[], ['--backend', 'reference'], ['--max-memory', '64GiB']]) {
      const r = await timed(['compose', dir, '-o', join(tmp, 'huger.safetensors'), ...extra]);
      expect(r.status, extra.join(' ')).toBe(1);
      expect(r.stderr).toMatch(oneTypedLine('ResourceLimitError'));
      expect(r.ms).toBeLessThan(FAST_MS);
    }
  });

  it('convert --full of a top-k file whose logits would be 128 GiB: ResourceLimitError at once', async () => {
    // num_vectors 2^16 (bank 256 KiB at vector_length 1), 2^18 tiles per factor (a 5 MB file): logits 2 × 2^18 × 2^16
    // float32 = 128 GiB
    const nv = 2 ** 16;
    const tiles = 2 ** 18;
    const dir = writeAdapter(
      join(tmp, 'topk-wide'),
      { r: 1, num_vectors: nv, vector_length: 1, topk: 2 },
      new Map<string, HostTensor>([
        [BANK_KEY, tensor('f32', [nv, 1], new Float32Array(nv))],
        [
          factorKey('model.q', 'A', 'topk_indices'),
          tensor(
            'i32',
            [1, tiles, 2],
            new Int32Array(2 * tiles).map((_, i) => i % 2),
          ),
        ],
        [factorKey('model.q', 'A', 'topk_weights'), tensor('f16', [1, tiles, 1], new Uint16Array(tiles))],
        [
          factorKey('model.q', 'B', 'topk_indices'),
          tensor(
            'i32',
            [tiles, 1, 2],
            new Int32Array(2 * tiles).map((_, i) => i % 2),
          ),
        ],
        [factorKey('model.q', 'B', 'topk_weights'), tensor('f16', [tiles, 1, 1], new Uint16Array(tiles))],
      ]),
    );
    const r = await timed(['convert', dir, '-o', join(tmp, 'topk-wide-full'), '--full']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(oneTypedLine('ResourceLimitError'));
    expect(r.stderr).toContain('convert --full: the float32 logits');
    expect(r.ms).toBeLessThan(FAST_MS);
    expect(existsSync(join(tmp, 'topk-wide-full'))).toBe(false);
  });

  it('--max-memory below the adapter file: compose, convert, merge and inspect refuse the read itself', async () => {
    for (const argv of [
      ['compose', TOPK, '-o', join(tmp, 'small.safetensors')],
      ['convert', TOPK, '-o', join(tmp, 'small-dir'), '--full'],
      ['merge', TOPK, '--base', BASE, '-o', join(tmp, 'small-merged.safetensors')],
      ['inspect', TOPK],
    ]) {
      const r = await timed([...argv, '--max-memory', '1KiB']);
      expect(r.status, argv[0]).toBe(1);
      expect(r.stderr).toMatch(oneTypedLine('ResourceLimitError'));
      expect(r.stderr).toContain('adapter_model.safetensors needs');
    }
    expect(snapshotTree(tmp).size).toBeGreaterThan(0);
    expect(existsSync(join(tmp, 'small.safetensors')) || existsSync(join(tmp, 'small-dir'))).toBe(false);
  });

  it('merge hands --max-memory to the merge itself: a 4 MiB base tensor over a 1 MiB budget is refused there', async () => {
    const dir = smallAdapter(join(tmp, 'merge-small'));
    const base = join(tmp, 'merge-small-base.safetensors');
    const tensors = new Map<string, HostTensor>([
      ['model.q.weight', tensor('f32', [4, 4], new Float32Array(16))],
      ['lm_head.weight', tensor('f32', [1024, 1024], new Float32Array(1024 * 1024))],
    ]);
    writeFileSync(base, writeSafetensors(tensors));
    const out = join(tmp, 'merge-small-out.safetensors');
    const r = await timed(['merge', dir, '--base', base, '-o', out, '--max-memory', '1MiB']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(oneTypedLine('ResourceLimitError'));
    expect(r.stderr).not.toContain('adapter_model.safetensors needs');
    expect(existsSync(out)).toBe(false);
    expect((await vblora('merge', dir, '--base', base, '-o', out, '--max-memory', '64MiB')).status).toBe(0);
  });

  it('--max-memory takes bytes or a unit; anything else is a usage error (exit 2)', async () => {
    for (const size of ['1048576', '1MiB', '1 MiB', '1.5mb', '2GB', '1gib']) {
      const r = await vblora('compose', TOPK, '-o', join(tmp, 'ok.safetensors'), '--max-memory', size);
      expect(r.status, `${size}: ${r.stderr}`).toBe(0);
    }
    for (const size of ['', '0', '-1', '1e9', 'lots', '1 PiB', '1constructor', '9'.repeat(30), 'NaN']) {
      const r = await vblora('compose', TOPK, '-o', join(tmp, 'bad.safetensors'), `--max-memory=${size}`);
      expect(r.status, size).toBe(2);
      expect(r.stderr).toMatch(/^vblora: compose: --max-memory takes a size such as 8GiB/);
    }
    expect(existsSync(join(tmp, 'bad.safetensors'))).toBe(false);
  });
});
