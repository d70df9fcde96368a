import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng, mergeIntoStateDict, writeSafetensors, zeros, type DType, type HostTensor } from '@vblora/core';
import { mergeCheckpoint } from '@vblora/core/node';
import { createMergePool } from '@vblora/cpu/node';
import {
  bytesOf,
  goldenAdapter,
  goldenBase,
  leftovers,
  readTensors,
  rejectionOf,
  snapshot,
  split,
  writeSharded,
  expectSnapshot,
} from './helpers/merge-fixtures.js';

// Defect 3 (issue #14): a base weight of a dtype the merge kernels lack (anything but F32, BF16, F16) was merged
// as if its elements were 2 bytes wide: F64 and I8 weights came out as garbage with exit 0. Now it is refused
// with an UnsupportedError naming the tensor, its dtype and the supported ones, before anything is written;
// tensors that are not merged keep any dtype and are copied byte for byte (their width comes from the dtype).
const tmp = mkdtempSync(join(tmpdir(), 'vblora-merge-dtypes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CASE = 'llama_f32_vl16_nv64_top2';
const WEIGHT = 'model.layers.1.self_attn.q_proj.weight';
const OTHER: readonly DType[] = [
  'bool',
  'u8',
  'i8',
  'f8_e5m2',
  'f8_e4m3',
  'i16',
  'u16',
  'i32',
  'u32',
  'f64',
  'i64',
  'u64',
];

/** The golden base with `name` replaced by a tensor of `dtype` and the same shape (seeded bytes). */
function baseWith(name: string, dtype: DType): Map<string, HostTensor> {
  const base = goldenBase(CASE);
  const t = zeros(dtype, base.get(name)!.shape);
  const rng = createRng(3);
  const bytes = new Uint8Array(t.data.buffer);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rng.uniform() * 256);
  base.set(name, t);
  return base;
}

describe('defect 3: unsupported weight dtypes are refused, not merged as 2-byte elements', () => {
  for (const dtype of OTHER) {
    it(`a ${dtype.toUpperCase()} adapted weight: UnsupportedError naming tensor and dtype; no output, no temp file`, async () => {
      const dir = join(tmp, `single-${dtype}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'base.safetensors'), writeSafetensors(baseWith(WEIGHT, dtype)));
      const err = await rejectionOf(
        mergeCheckpoint(goldenAdapter(CASE), join(dir, 'base.safetensors'), join(dir, 'out.safetensors'), {
          threads: 1,
        }),
      );
      expect(err.name).toBe('UnsupportedError');
      expect(err.message).toContain(WEIGHT);
      expect(err.message).toContain(`dtype ${dtype.toUpperCase()}`);
      expect(err.message).toContain('F32, BF16, F16');
      expect(readdirSync(dir)).toEqual(['base.safetensors']);
    });
  }

  it('sharded: an F64 weight in shard 2 is refused before shard 1 is written; an existing output folder is untouched', async () => {
    const base = baseWith(WEIGHT, 'f64');
    const inDir = join(tmp, 'sharded-in');
    writeSharded(inDir, base, split(base, 2));
    const outDir = join(tmp, 'sharded-out');
    mkdirSync(outDir);
    writeFileSync(join(outDir, 'config.json'), '{}');
    const before = snapshot(outDir);
    const err = await rejectionOf(mergeCheckpoint(goldenAdapter(CASE), inDir, outDir, { threads: 1 }));
    expect(err.name).toBe('UnsupportedError');
    expect(err.message).toContain(`${WEIGHT} (in model-00002-of-00002.safetensors) has dtype F64`);
    expectSnapshot(outDir, before);
    // a folder the merge would have created is not left behind
    await rejectionOf(mergeCheckpoint(goldenAdapter(CASE), inDir, join(tmp, 'never-made'), { threads: 1 }));
    expect(existsSync(join(tmp, 'never-made'))).toBe(false);
  });

  it('tensors that are not merged keep any dtype and are copied byte for byte (element sizes from the dtype table)', async () => {
    const base = goldenBase(CASE);
    for (const dtype of OTHER) {
      const t = zeros(dtype, [3, 5]);
      new Uint8Array(t.data.buffer).forEach((_, i, a) => (a[i] = (i * 37 + dtype.length) & 255));
      base.set(`extra.${dtype}`, t);
    }
    const dir = join(tmp, 'carry');
    mkdirSync(dir);
    writeFileSync(join(dir, 'base.safetensors'), writeSafetensors(base));
    const adapter = goldenAdapter(CASE);
    const result = await mergeCheckpoint(adapter, join(dir, 'base.safetensors'), join(dir, 'out.safetensors'), {
      threads: 1,
    });
    expect(result.mergedModules).toBe(adapter.modules.size);
    const out = readTensors(join(dir, 'out.safetensors'));
    for (const dtype of OTHER) {
      const got = out.get(`extra.${dtype}`)!;
      expect(got.dtype).toBe(dtype);
      expect(bytesOf(got).equals(bytesOf(base.get(`extra.${dtype}`)!)), dtype).toBe(true);
    }
    expect(leftovers(dir)).toEqual([]);
  });

  it('mergeIntoStateDict: an F64 or I8 weight is the same UnsupportedError, raised before any module is merged', async () => {
    for (const dtype of ['f64', 'i8'] as const) {
      const progress: string[] = [];
      const err = await rejectionOf(
        mergeIntoStateDict(goldenAdapter(CASE), baseWith(WEIGHT, dtype), {
          onProgress: (_, __, m) => progress.push(m),
        }),
      );
      expect(err.name).toBe('UnsupportedError');
      expect(err.message).toContain(`${WEIGHT} has dtype ${dtype.toUpperCase()}`);
      expect(progress).toEqual([]);
    }
  });

  it('the merge pool refuses a job of another dtype or with a region smaller than the weight (the kernels trust their pointers)', async () => {
    const pool = createMergePool(1);
    try {
      const [region] = pool.regions(64) as [Uint8Array];
      const job = {
        shape: [4, 4] as [number, number],
        input: region,
        output: region,
        A: new Float32Array(4),
        B: new Float32Array(4),
        fanInFanOut: false,
        safe: false,
        adapter: 'a',
        module: 'm',
      };
      await expect(pool.run({ ...job, dtype: 'i8' as 'f32' })).rejects.toMatchObject({ name: 'UnsupportedError' });
      await expect(pool.run({ ...job, dtype: 'f32', shape: [8, 4] })).rejects.toMatchObject({ name: 'ShapeError' });
      await expect(pool.run({ ...job, dtype: 'f32', B: new Float32Array(2) })).rejects.toMatchObject({
        name: 'ShapeError',
      });
      await expect(pool.run({ ...job, dtype: 'f32' })).resolves.toBeUndefined();
    } finally {
      await pool.close();
    }
  });
});
