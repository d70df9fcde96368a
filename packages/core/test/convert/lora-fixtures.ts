import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { readSafetensors, type HostTensor } from '@vblora/core';

/** PEFT's `save_as_lora` outputs for the golden cases (`packages/conformance/fixtures/peft-lora`). */
export const LORA_DIR = resolve(fileURLToPath(new URL('../../../', import.meta.url)), 'conformance/fixtures/peft-lora');

/** The golden VB-LoRA cases the LoRA expectations were generated from. */
export const GOLDEN_DIR = resolve(LORA_DIR, '../peft-golden');

/** One `save_as_lora` run of the generator: PEFT's files, or the exception it raised. */
export interface LoraRun {
  readonly case: string;
  readonly flavour: 'full' | 'topk';
  readonly label: string;
  readonly rank: number;
  readonly rank_is_float: boolean;
  /** The VB-LoRA adapter folder converted, relative to {@link LORA_DIR}. */
  readonly source: string;
  /** The golden case whose base model the adapter belongs to. */
  readonly base_case: string;
  readonly folder?: string;
  readonly rank_pattern?: Record<string, number>;
  readonly error?: { readonly type: string; readonly message: string };
}

/** Every run listed in `cases.json`. */
export function loraRuns(): LoraRun[] {
  return (JSON.parse(readFileSync(join(LORA_DIR, 'cases.json'), 'utf8')) as { runs: LoraRun[] }).runs;
}

/** A safetensors file of the LoRA fixtures as a tensor map. */
export function readLoraTensors(...parts: string[]): Map<string, HostTensor> {
  const raw = readFileSync(join(LORA_DIR, ...parts));
  return readSafetensors(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)).tensors;
}

/** `B·A` in float64 from float32 `B (out, k)` and `A (k, in)`. */
export function product(B: HostTensor, A: HostTensor): Float64Array {
  const [out, k] = B.shape as [number, number];
  const inF = A.shape[1]!;
  const b = B.data as Float32Array;
  const a = A.data as Float32Array;
  const p = new Float64Array(out * inF);
  for (let i = 0; i < out; i++) {
    for (let t = 0; t < k; t++) {
      const bv = b[i * k + t]!;
      for (let j = 0; j < inF; j++) p[i * inF + j]! += bv * a[t * inF + j]!;
    }
  }
  return p;
}

/** Largest |x − y|. */
export function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}
