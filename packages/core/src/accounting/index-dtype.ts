/**
 * The dtype of saved top-k indices (SPEC §5.3).
 * @module
 */
import { ConfigError } from '../errors.js';

/** Integer dtypes PEFT uses for `*_topk_indices`. */
export type IndexDType = 'u8' | 'i16' | 'i32' | 'i64';

/**
 * PEFT's index dtype for a bank of `numVectors` vectors: `uint8` below 2^8, then `int16` (not uint16, so 256
 * already gives int16) below 2^15, `int32` below 2^31, else `int64`.
 */
export function indexDtypeFor(numVectors: number): IndexDType {
  if (!Number.isSafeInteger(numVectors) || numVectors < 1) {
    throw new ConfigError(`\`num_vectors\` ${numVectors} should be a positive integer value`, 'num_vectors');
  }
  if (numVectors < 2 ** 8) return 'u8';
  if (numVectors < 2 ** 15) return 'i16';
  if (numVectors < 2 ** 31) return 'i32';
  return 'i64';
}

/** PEFT's "float32-equivalent" size of one index in `get_nb_savable_parameters` (index bytes / 4). */
export function indexFloat32Factor(numVectors: number): number {
  return { u8: 0.25, i16: 0.5, i32: 1, i64: 2 }[indexDtypeFor(numVectors)];
}
