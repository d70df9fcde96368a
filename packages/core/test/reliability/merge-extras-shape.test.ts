import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  fromF32,
  mergeIntoStateDict,
  tensor,
  toF32,
  writeSafetensors,
  zeros,
  type HostTensor,
  type VBLoRAAdapter,
} from '@vblora/core';
import { mergeCheckpoint } from '@vblora/core/node';
import {
  bytesOf,
  expectSnapshot,
  goldenAdapter,
  goldenBase,
  readTensors,
  rejectionOf,
  snapshot,
  split,
  writeSharded,
} from './helpers/merge-fixtures.js';

// Defect 5 (issue #14): trained biases and modules_to_save tensors were not shape-checked in the safetensors
// merge: an [8] bias into a [32] base wrote 8 values and then 24 bytes read past the tensor, exit 0; as the last
// tensor of a file it ended in "internal error: RangeError". Now a carried tensor must have the shape of the base
// tensor it replaces and a dtype that can be cast to it (a ShapeError naming both, as PEFT refuses a size
// mismatch), must replace exactly one tensor nothing else writes, and all of it is checked before any output.
const tmp = mkdtempSync(join(tmpdir(), 'vblora-merge-extras-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CASE = 'llama_bf16_vl16_nv256_top2_layer1_bias';
const BIAS_KEY = 'base_model.model.model.layers.1.self_attn.q_proj.base_layer.bias';
const BIAS = 'model.layers.1.self_attn.q_proj.bias';
let n = 0;
const fresh = () => {
  const dir = join(tmp, `case-${++n}`);
  mkdirSync(dir);
  return dir;
};

const withExtras = (adapter: VBLoRAAdapter, extras: Iterable<readonly [string, HostTensor]>): VBLoRAAdapter => ({
  ...adapter,
  extraTensors: new Map([...adapter.extraTensors, ...extras]),
});

/** Merges into a single-file base; returns the error, after checking that the folder holds only the base. */
async function refused(adapter: VBLoRAAdapter, base: Map<string, HostTensor>) {
  const dir = fresh();
  writeFileSync(join(dir, 'base.safetensors'), writeSafetensors(base));
  const err = await rejectionOf(
    mergeCheckpoint(adapter, join(dir, 'base.safetensors'), join(dir, 'out.safetensors'), { threads: 1 }),
  );
  expect(readdirSync(dir)).toEqual(['base.safetensors']);
  const progress: string[] = [];
  const inMemory = await rejectionOf(mergeIntoStateDict(adapter, base, { onProgress: (_, __, m) => progress.push(m) }));
  expect(inMemory.name, 'mergeIntoStateDict').toBe(err.name);
  expect(progress, 'mergeIntoStateDict merged modules before refusing').toEqual([]);
  return err;
}

describe('defect 5: carried tensors are shape- and dtype-checked like PEFT, before anything is written', () => {
  it('a [64] trained bias into a [256] base bias (was: 64 values + bytes read past the tensor, exit 0): ShapeError', async () => {
    const base = goldenBase(CASE);
    base.set(BIAS, zeros('bf16', [256]));
    const err = await refused(goldenAdapter(CASE, 'adapter_full'), base);
    expect(err.name).toBe('ShapeError');
    expect(err.message).toContain(`${BIAS_KEY} has shape (64) but ${BIAS} (in base.safetensors) is (256)`);
  });

  it('a modules_to_save tensor that is last in the file (was: internal error RangeError): ShapeError', async () => {
    const base = goldenBase(CASE);
    base.set('zz_score.weight', zeros('bf16', [32, 64]));
    const adapter = withExtras(goldenAdapter(CASE), [['base_model.model.zz_score.weight', zeros('bf16', [8, 64])]]);
    const err = await refused(adapter, base);
    expect(err.name).toBe('ShapeError');
    expect(err.message).toContain('zz_score.weight (in base.safetensors) is (32, 64)');
  });

  it('same element count, other shape ([8, 8] for [64]): ShapeError, as PEFT refuses it', async () => {
    const adapter = withExtras(goldenAdapter(CASE), [[BIAS_KEY, zeros('f32', [8, 8])]]);
    expect((await refused(adapter, goldenBase(CASE))).name).toBe('ShapeError');
  });

  it('a dtype that cannot be cast (I64 over BF16): ShapeError naming both dtypes', async () => {
    const adapter = withExtras(goldenAdapter(CASE), [[BIAS_KEY, zeros('i64', [64])]]);
    const err = await refused(adapter, goldenBase(CASE));
    expect(err.name).toBe('ShapeError');
    expect(err.message).toContain(`${BIAS_KEY} is I64 but ${BIAS} is BF16`);
  });

  it('two carried tensors for one base tensor, or one for an adapted weight: AdapterError (which wins is undefined)', async () => {
    const twice = withExtras(goldenAdapter(CASE), [[`base_model.model.${BIAS}`, zeros('bf16', [64])]]);
    expect((await refused(twice, goldenBase(CASE))).message).toContain(`which ${BIAS_KEY} also replaces`);
    const q = 'model.layers.1.self_attn.q_proj.weight';
    const onWeight = withExtras(goldenAdapter(CASE), [[`base_model.model.${q}`, zeros('bf16', [64, 64])]]);
    const err = await refused(onWeight, goldenBase(CASE));
    expect(err.name).toBe('AdapterError');
    expect(err.message).toContain('which the adapted module model.layers.1.self_attn.q_proj also replaces');
  });

  it('sharded: a mismatch in shard 2 is refused before shard 1 is written', async () => {
    const base = goldenBase(CASE);
    const parts = split(base, 2);
    expect(parts[1]).toContain(BIAS);
    base.set(BIAS, zeros('bf16', [256]));
    const inDir = join(fresh(), 'in');
    writeSharded(inDir, base, parts);
    const out = fresh();
    writeFileSync(join(out, 'keep.txt'), 'old');
    const before = snapshot(out);
    const err = await rejectionOf(mergeCheckpoint(goldenAdapter(CASE, 'adapter_full'), inDir, out, { threads: 1 }));
    expect(err.message).toContain(`${BIAS} (in model-00002-of-00002.safetensors) is (256)`);
    expectSnapshot(out, before);
  });

  it('fitting carried tensors are written in the base dtype: an F32 bias over a BF16 base is rounded to BF16', async () => {
    const base = goldenBase(CASE);
    const bias = tensor(
      'f32',
      [64],
      Float32Array.from({ length: 64 }, (_, i) => 1 + i / 3),
    );
    const adapter = withExtras(goldenAdapter(CASE), [[BIAS_KEY, bias]]);
    const dir = fresh();
    writeFileSync(join(dir, 'base.safetensors'), writeSafetensors(base));
    await mergeCheckpoint(adapter, join(dir, 'base.safetensors'), join(dir, 'out.safetensors'), { threads: 1 });
    const got = readTensors(join(dir, 'out.safetensors')).get(BIAS)!;
    expect(got.dtype).toBe('bf16');
    expect(bytesOf(got).equals(bytesOf(fromF32(toF32(bias), 'bf16')))).toBe(true);
    const inMemory = (await mergeIntoStateDict(adapter, base)).get(BIAS)!;
    expect(bytesOf(inMemory).equals(bytesOf(got))).toBe(true);
  });
});
