import { execFileSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planSafetensors, type HostTensor, type VBLoRAError } from '@vblora/core';
import { mergeCheckpoint, SHARD_INDEX_FILE } from '@vblora/core/node';
import { goldenPath } from '../helpers/golden-paths.js';
import { bytesOf, goldenAdapter, goldenBase, rejectionOf, split, writeSharded } from './helpers/merge-fixtures.js';

// Defect 8 (issue #14): base model files were not read through the bounded reader: a FIFO as the index, a shard
// or a base file hung forever, and /dev/zero as the index was read for 650 MB first. Now each is opened without
// blocking and must be a regular file (the index also at most 64 MiB), and a shard named by the index must stay
// inside its folder once links are followed. Defect 7 (merge part): every buffer the files size is checked against
// the memory budget (maxMemoryBytes) before it is allocated. "Fast" = under 2 s on a busy 2-core machine (the
// refusals themselves take milliseconds; a hang is stopped at 10 s so the test fails instead of waiting forever).
const FAST_MS = 2000;
const SMALL_GROWTH = 16 * 2 ** 20;
const tmp = mkdtempSync(join(tmpdir(), 'vblora-merge-bounded-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CASE = 'llama_f32_vl16_nv64_top2';
let n = 0;
const fresh = () => {
  const dir = join(tmp, `case-${++n}`);
  mkdirSync(dir);
  return dir;
};
const mkfifo = (path: string) => execFileSync('mkfifo', [path]);

/** The merge's rejection, how long it took and how much ArrayBuffer memory grew; a hang fails after 10 s. */
async function refusal(
  base: string,
  options: { maxMemoryBytes?: number } = {},
): Promise<{ err: VBLoRAError; ms: number; growth: number }> {
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  const hang = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error('the merge hung for 10 s')), 10_000).unref(),
  );
  const err = await rejectionOf(
    Promise.race([mergeCheckpoint(goldenAdapter(CASE), base, join(fresh(), 'out'), { threads: 1, ...options }), hang]),
  );
  return { err, ms: performance.now() - t0, growth: process.memoryUsage().arrayBuffers - before };
}

/** The golden base as two shards in a fresh folder. */
function shardedBase(): { dir: string; shards: string[] } {
  const base = goldenBase(CASE);
  const dir = fresh();
  return { dir, shards: writeSharded(dir, base, split(base, 2)) };
}

describe('defect 8: base files that are not regular files are refused at once', () => {
  it('a FIFO as the index, as a shard, as the base file: AdapterError "not a regular file", fast', async () => {
    const asIndex = shardedBase();
    rmSync(join(asIndex.dir, SHARD_INDEX_FILE));
    mkfifo(join(asIndex.dir, SHARD_INDEX_FILE));
    const asShard = shardedBase();
    rmSync(join(asShard.dir, asShard.shards[1]!));
    mkfifo(join(asShard.dir, asShard.shards[1]!));
    const asFile = join(fresh(), 'base.safetensors');
    mkfifo(asFile);
    for (const base of [asIndex.dir, asShard.dir, asFile]) {
      const { err, ms } = await refusal(base);
      expect(err.name, base).toBe('AdapterError');
      expect(err.message).toContain('is not a regular file');
      expect(ms, base).toBeLessThan(FAST_MS);
    }
  });

  it('/dev/zero linked as the index or as the base file: refused without reading it', async () => {
    const asIndex = shardedBase();
    rmSync(join(asIndex.dir, SHARD_INDEX_FILE));
    symlinkSync('/dev/zero', join(asIndex.dir, SHARD_INDEX_FILE));
    const asFile = join(fresh(), 'base.safetensors');
    symlinkSync('/dev/zero', asFile);
    for (const base of [asIndex.dir, asFile]) {
      const { err, ms, growth } = await refusal(base);
      expect(err.message, base).toContain('is not a regular file');
      expect(ms).toBeLessThan(FAST_MS);
      expect(growth).toBeLessThan(SMALL_GROWTH);
    }
  });

  it('an index past 64 MiB (sparse) is refused by size, unread: ResourceLimitError maxShardIndexBytes', async () => {
    const { dir } = shardedBase();
    truncateSync(join(dir, SHARD_INDEX_FILE), 2 ** 30);
    const { err, ms, growth } = await refusal(dir);
    expect(err).toMatchObject({ name: 'ResourceLimitError', limit: 'maxShardIndexBytes' });
    expect(ms).toBeLessThan(FAST_MS);
    expect(growth).toBeLessThan(SMALL_GROWTH);
  });

  it('a shard that is a link leading out of the folder: PathError outside-folder; a link inside it is followed', async () => {
    const { dir, shards } = shardedBase();
    const outside = join(fresh(), 'elsewhere.safetensors');
    execFileSync('mv', [join(dir, shards[1]!), outside]);
    symlinkSync(outside, join(dir, shards[1]!));
    const { err } = await refusal(dir);
    expect(err).toMatchObject({ name: 'PathError', rule: 'outside-folder' });
    expect(err.message).toContain(shards[1]);
    // inside the folder (a blobs/ sub-folder, say) is fine, and the output keeps the index's names
    mkdirSync(join(dir, 'blobs'));
    rmSync(join(dir, shards[1]!));
    execFileSync('mv', [outside, join(dir, 'blobs', 'abc123')]);
    symlinkSync(join('blobs', 'abc123'), join(dir, shards[1]!));
    const out = join(fresh(), 'merged');
    const result = await mergeCheckpoint(goldenAdapter(CASE), dir, out, { threads: 1 });
    expect(result.mergedModules).toBe(12);
    expect(readdirSync(out).sort()).toEqual([...shards, SHARD_INDEX_FILE].sort());
  });

  it('a base path that does not exist: AdapterError naming it, not a raw ENOENT', async () => {
    const missing = join(tmp, 'no-such-model');
    const { err } = await refusal(missing);
    expect(err.name).toBe('AdapterError');
    expect(err.message).toContain(`${missing} (ENOENT)`);
  });
});

/** Writes `tensors` plus one huge tensor as a sparse safetensors file: declared, never stored on disk. */
function sparseBase(path: string, tensors: ReadonlyMap<string, HostTensor>, hugeShape: number[]): void {
  const entries = [
    ...[...tensors].map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape })),
    { name: 'zz.huge', dtype: 'f32' as const, shape: hugeShape },
  ];
  const plan = planSafetensors(entries);
  const fd = openSync(path, 'w');
  writeSync(fd, plan.header, 0, plan.header.length, 0);
  for (const slot of plan.layout) {
    const t = tensors.get(slot.name);
    if (t !== undefined) writeSync(fd, bytesOf(t), 0, t.data.byteLength, plan.header.length + slot.begin);
  }
  closeSync(fd);
  truncateSync(path, plan.header.length + plan.dataSize);
}

describe('defect 7: every buffer a base file sizes is checked against the memory budget first', () => {
  it('a 5 GiB tensor declared in a sparse base: ResourceLimitError maxMemory, fast, nothing allocated', async () => {
    const path = join(fresh(), 'base.safetensors');
    sparseBase(path, goldenBase(CASE), [5 * 2 ** 28]);
    const { err, ms, growth } = await refusal(path);
    expect(err).toMatchObject({ name: 'ResourceLimitError', limit: 'maxMemory' });
    expect(err.message).toContain('largest other tensor 5120.0 MiB');
    expect(ms).toBeLessThan(FAST_MS);
    expect(growth).toBeLessThan(SMALL_GROWTH);
  });

  it('maxMemoryBytes is the budget: 32 KiB refuses the golden merge (about 90 KiB), naming --max-memory', async () => {
    const path = goldenPath(CASE, 'base.safetensors');
    const { err } = await refusal(path, { maxMemoryBytes: 32 * 1024 });
    expect(err).toMatchObject({ name: 'ResourceLimitError', limit: 'maxMemory' });
    expect(err.message).toContain('merging (composed factors');
    expect(err.message).toContain('--max-memory');
    const header = await refusal(path, { maxMemoryBytes: 64 });
    expect(header.err.message).toContain(`the safetensors header of ${path} needs`);
    expect((await refusal(path, { maxMemoryBytes: Number.NaN })).err).toMatchObject({
      name: 'ConfigError',
      field: 'maxMemoryBytes',
    });
  });
});
