import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import {
  adapterFromFiles,
  readSafetensors,
  VBLoRAError,
  writeSafetensors,
  type HostTensor,
  type VBLoRAAdapter,
} from '@vblora/core';
import { SHARD_INDEX_FILE } from '@vblora/core/node';
import { readGoldenTensors } from '../../helpers/golden-files.js';
import type { GoldenCase } from '../../helpers/golden-paths.js';
import { GOLDEN_ADAPTERS } from './golden-adapters.js';

/**
 * Fixtures of the checkpoint-merge reliability tests: PEFT's golden adapters and bases, written as single files
 * or shards with a transformers-style index, and byte snapshots of folders to prove what a failed merge left.
 */

/** A golden adapter (PEFT-written) by case and flavour. */
export function goldenAdapter(c: GoldenCase, flavour: 'adapter_full' | 'adapter_topk' = 'adapter_topk'): VBLoRAAdapter {
  const g = GOLDEN_ADAPTERS.find((a) => a.id === `${c}/${flavour}`)!;
  return adapterFromFiles(g).adapter;
}

/** The golden base of a case as tensors (own copies). */
export const goldenBase = (c: GoldenCase): Map<string, HostTensor> => readGoldenTensors(c, 'base.safetensors');

/** Shard file name i of n, as transformers names them. */
export const shardName = (i: number, n: number): string =>
  `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;

/**
 * Writes `parts` (tensor names per shard) of `tensors` as shards in `dir`, with an index mapping each name to its
 * shard unless `weightMap` overrides it. Returns the shard names.
 */
export function writeSharded(
  dir: string,
  tensors: ReadonlyMap<string, HostTensor>,
  parts: readonly (readonly string[])[],
  weightMap?: Record<string, string>,
): string[] {
  mkdirSync(dir, { recursive: true });
  const names = parts.map((_, i) => shardName(i, parts.length));
  const map: Record<string, string> = {};
  parts.forEach((part, i) => {
    writeFileSync(join(dir, names[i]!), writeSafetensors(part.map((n) => [n, tensors.get(n)!] as const)));
    for (const n of part) map[n] = names[i]!;
  });
  writeFileSync(
    join(dir, SHARD_INDEX_FILE),
    JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap ?? map }),
  );
  return names;
}

/** The tensor names of `tensors` split into `n` consecutive parts. */
export function split(tensors: ReadonlyMap<string, HostTensor>, n: number): string[][] {
  const names = [...tensors.keys()];
  const per = Math.ceil(names.length / n);
  return Array.from({ length: n }, (_, i) => names.slice(i * per, (i + 1) * per));
}

const DIR_MARK = Buffer.from('(a folder)');
const contents = (path: string): Buffer => (statSync(path).isDirectory() ? DIR_MARK : readFileSync(path));

/** Every entry of a folder (not recursive) with its bytes (sub-folders as a marker). */
export function snapshot(dir: string): Map<string, Buffer> {
  return new Map(
    readdirSync(dir)
      .sort()
      .map((n) => [n, contents(join(dir, n))]),
  );
}

/** The folder holds exactly the snapshot's files, byte for byte (no temp file, no lock, nothing partial). */
export function expectSnapshot(dir: string, before: ReadonlyMap<string, Buffer>): void {
  expect(readdirSync(dir).sort()).toEqual([...before.keys()]);
  for (const [name, bytes] of before) expect(contents(join(dir, name)).equals(bytes), `${name} changed`).toBe(true);
}

/** Leftover temporary or lock files in a folder. */
export const leftovers = (dir: string): string[] => readdirSync(dir).filter((n) => n.startsWith('.vblora-'));

/** The error a promise rejects with; fails the test if it resolves. */
export async function rejectionOf(p: Promise<unknown>): Promise<VBLoRAError> {
  const err = await p.then(
    () => new Error('expected a rejection, the merge succeeded'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VBLoRAError);
  return err as VBLoRAError;
}

/** Tensors of a safetensors file. */
export const readTensors = (path: string): Map<string, HostTensor> =>
  readSafetensors(new Uint8Array(readFileSync(path))).tensors;

/** A tensor's bytes. */
export const bytesOf = (t: HostTensor): Buffer => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
