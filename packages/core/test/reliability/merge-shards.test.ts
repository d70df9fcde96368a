import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointFormatError, tensor, writeSafetensors, type HostTensor } from '@vblora/core';
import { mergeCheckpoint, SHARD_INDEX_FILE } from '@vblora/core/node';
import { goldenAdapter, goldenBase, rejectionOf, shardName, split, writeSharded } from './helpers/merge-fixtures.js';

// Defect 3 (issue #14), second half: a tensor name repeated across shards bypassed the shape check (one case
// ended in a raw WebAssembly "memory access out of bounds", another reported 13 merged modules for a 12-module
// adapter). Now every tensor must be in exactly one shard, the one the index names; anything else is a
// CheckpointFormatError naming the tensor and both shards, raised before an output is written.
const tmp = mkdtempSync(join(tmpdir(), 'vblora-merge-shards-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CASE = 'llama_f32_vl16_nv64_top2';
const Q0 = 'model.layers.0.self_attn.q_proj.weight';
const [S1, S2] = [shardName(0, 2), shardName(1, 2)];
let n = 0;
const fresh = () => join(tmp, `case-${++n}`);

async function formatError(inDir: string): Promise<CheckpointFormatError> {
  const out = fresh();
  const err = await rejectionOf(mergeCheckpoint(goldenAdapter(CASE), inDir, out, { threads: 1 }));
  expect(err).toBeInstanceOf(CheckpointFormatError);
  return err as CheckpointFormatError;
}

/**
 * The golden base in two shards (the index maps `Q0` to shard 1), with `Q0` in both: `copy` in shard `odd`, the
 * golden weight in the other.
 */
function duplicated(copy: HostTensor, odd: 1 | 2 = 2): string {
  const base = goldenBase(CASE);
  const parts = split(base, 2);
  expect(parts[0]).toContain(Q0);
  const dir = fresh();
  writeSharded(dir, base, parts);
  const shard = (i: 0 | 1, q: HostTensor) =>
    writeSafetensors([...parts[i]!.filter((k) => k !== Q0).map((k) => [k, base.get(k)!] as const), [Q0, q] as const]);
  writeFileSync(join(dir, S1), shard(0, odd === 1 ? copy : base.get(Q0)!));
  writeFileSync(join(dir, S2), shard(1, odd === 2 ? copy : base.get(Q0)!));
  return dir;
}

describe('defect 3: a tensor name repeated across shards is refused', () => {
  it('the same weight in two shards: duplicate-tensor naming it and both shards (was: 13 modules merged for 12)', async () => {
    const err = await formatError(duplicated(goldenBase(CASE).get(Q0)!));
    expect(err.rule).toBe('duplicate-tensor');
    expect(err.tensor).toBe(Q0);
    expect(err.message).toContain(`"${Q0}" is in both ${S1} and ${S2}`);
  });

  it('a copy of another shape in either shard (was: WebAssembly "memory access out of bounds"): the same typed refusal', async () => {
    const big = tensor('f32', [256, 256], new Float32Array(256 * 256).fill(0.25));
    for (const odd of [1, 2] as const) {
      const err = await formatError(duplicated(big, odd));
      expect(err.rule).toBe('duplicate-tensor');
      expect(err.message).toContain(`${S1} and ${S2}`);
    }
  });

  it('module counts are exact: 12 modules in 3 shards report 12', async () => {
    const base = goldenBase(CASE);
    const dir = fresh();
    writeSharded(dir, base, split(base, 3));
    const adapter = goldenAdapter(CASE);
    const result = await mergeCheckpoint(adapter, dir, fresh(), { threads: 1 });
    expect(adapter.modules.size).toBe(12);
    expect(result.mergedModules).toBe(12);
  });
});

describe("defect 3: an index that disagrees with the shards' contents is refused", () => {
  const base = goldenBase(CASE);
  const parts = split(base, 2);
  const map = (edit: (m: Record<string, string>) => void): Record<string, string> => {
    const m: Record<string, string> = {};
    parts.forEach((p, i) => p.forEach((k) => (m[k] = shardName(i, 2))));
    edit(m);
    return m;
  };

  it('a tensor in shard 1 that the index maps to shard 2: index-mismatch naming both', async () => {
    const dir = fresh();
    writeSharded(
      dir,
      base,
      parts,
      map((m) => (m[Q0] = S2)),
    );
    const err = await formatError(dir);
    expect(err.rule).toBe('index-mismatch');
    expect(err.tensor).toBe(Q0);
    expect(err.message).toContain(`"${Q0}" is in ${S1} but ${SHARD_INDEX_FILE} maps it to ${S2}`);
  });

  it('a tensor in the index but not in its shard: index-mismatch', async () => {
    const dir = fresh();
    writeSharded(
      dir,
      base,
      parts,
      map((m) => (m['model.layers.9.mlp.up_proj.weight'] = S2)),
    );
    const err = await formatError(dir);
    expect(err.rule).toBe('index-mismatch');
    expect(err.message).toContain(
      `maps tensor "model.layers.9.mlp.up_proj.weight" to ${S2}, but ${S2} has no such tensor`,
    );
  });

  it('a tensor in a shard that the index does not list: index-mismatch', async () => {
    const dir = fresh();
    writeSharded(
      dir,
      base,
      parts,
      map((m) => delete m[Q0]),
    );
    const err = await formatError(dir);
    expect(err.rule).toBe('index-mismatch');
    expect(err.message).toContain(`"${Q0}" is in ${S1} but ${SHARD_INDEX_FILE} does not list it`);
  });

  it('names that Object.prototype has (constructor, __proto__) are plain names, never prototype lookups', async () => {
    const dir = fresh();
    const extra = new Map([...base, ['constructor', tensor('f32', [1], new Float32Array(1))] as const]);
    writeSharded(
      dir,
      extra,
      [parts[0]!, [...parts[1]!, 'constructor']],
      map(() => undefined),
    );
    const err = await formatError(dir);
    expect(err.rule).toBe('index-mismatch');
    expect(err.tensor).toBe('constructor');
  });

  it('an index whose weight_map is not an object, or names a shard outside the folder: index-json', async () => {
    for (const index of [
      '[]',
      '{"weight_map": []}',
      `{"weight_map": {"${Q0}": "../x.safetensors"}}`,
      `{"weight_map": {"${Q0}": 7}}`,
    ]) {
      const dir = fresh();
      writeSharded(dir, base, parts);
      writeFileSync(join(dir, SHARD_INDEX_FILE), index);
      expect((await formatError(dir)).rule, index).toBe('index-json');
    }
  });
});
