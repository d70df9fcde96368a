import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BANK_KEY,
  createConfig,
  factorKey,
  serializeConfig,
  tensor,
  toSavedConfig,
  writeSafetensors,
  type HostTensor,
} from '@vblora/core';

/** Writes a PEFT adapter directory from a config and its tensors; returns `dir`. */
export function writeAdapter(
  dir: string,
  config: { r: number; num_vectors: number; vector_length: number; topk: number },
  tensors: ReadonlyMap<string, HostTensor>,
): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'adapter_config.json'),
    serializeConfig(toSavedConfig(createConfig({ ...config, target_modules: ['q'] }))),
  );
  writeFileSync(join(dir, 'adapter_model.safetensors'), writeSafetensors(new Map(tensors)));
  return dir;
}

const f32 = (shape: number[], fill = 0.25): HostTensor<'f32'> =>
  tensor('f32', shape, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill));

/**
 * The tiny file: one `features × features` module in a full-logits adapter of about 8 KB (r 1,
 * vector_length 256, num_vectors 2). Its dense delta alone is features² float32 (16 GiB for 65536).
 */
export function hugeModuleAdapter(dir: string, features = 65536, path = 'model.q'): string {
  const vl = 256;
  const tiles = features / vl;
  return writeAdapter(
    dir,
    { r: 1, num_vectors: 2, vector_length: vl, topk: 2 },
    new Map([
      [BANK_KEY, f32([2, vl])],
      [factorKey(path, 'A', 'logits'), f32([1, tiles, 2])],
      [factorKey(path, 'B', 'logits'), f32([tiles, 1, 2])],
    ]),
  );
}

/** Where {@link smallAdapter} puts a non-finite value. */
export type NonFiniteSpot = 'bank-nan' | 'bank-inf' | 'logits-nan' | 'logits-inf' | 'logits-neginf-row';

/**
 * A small finite full-logits adapter (one module `model.q`, 4 → 4 features, r 1, num_vectors 4, vector_length 2),
 * or one with a non-finite value at a known place: the bank's [3, 1] or logits A's [0, 1, 2] (logits A of shape
 * (1, 2, 4)); `logits-neginf-row` makes logits A row (0, 1) all −inf. Module paths may be given (e.g. with bidi
 * characters, for terminal tests).
 */
export function smallAdapter(dir: string, spot?: NonFiniteSpot, path = 'model.q'): string {
  const bank = f32([4, 2]).data.map((_, i) => 0.1 * (i + 1));
  const logitsA = f32([1, 2, 4]).data.map((_, i) => (i % 4) * 0.5);
  if (spot === 'bank-nan') bank[3 * 2 + 1] = Number.NaN;
  if (spot === 'bank-inf') bank[3 * 2 + 1] = Number.POSITIVE_INFINITY;
  if (spot === 'logits-nan') logitsA[4 + 2] = Number.NaN;
  if (spot === 'logits-inf') logitsA[4 + 2] = Number.POSITIVE_INFINITY;
  if (spot === 'logits-neginf-row') logitsA.fill(Number.NEGATIVE_INFINITY, 4, 8);
  return writeAdapter(
    dir,
    { r: 1, num_vectors: 4, vector_length: 2, topk: 2 },
    new Map([
      [BANK_KEY, tensor('f32', [4, 2], bank)],
      [factorKey(path, 'A', 'logits'), tensor('f32', [1, 2, 4], logitsA)],
      [factorKey(path, 'B', 'logits'), f32([2, 1, 4])],
    ]),
  );
}

/** SHA-256 of some bytes, as hex: what {@link snapshotTree} records of each file. */
export const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Every file below `dir` (relative path → SHA-256 of its bytes), to show that a command changed nothing there.
 * Hashes, not the bytes: deep equality of megabyte buffers element by element takes seconds.
 */
export function snapshotTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const r = rel === '' ? name : `${rel}/${name}`;
      if (statSync(p).isDirectory()) walk(p, r);
      else out.set(r, sha256(readFileSync(p)));
    }
  };
  walk(dir, '');
  return out;
}

/** Exactly one line `vblora: <name>: …` on stderr, containing `text`. */
export const oneTypedLine = (name: string): RegExp => new RegExp(`^vblora: ${name}: [^\\n]*\\n$`);
