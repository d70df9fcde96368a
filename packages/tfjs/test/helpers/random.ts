/** Seeded random host tensors for kernel tests (core's createRng: the same stream on every platform). */
import { createRng, f32ArrayToBf16, f32ArrayToF16, tensor, type HostTensor, type Rng } from '@vblora/core';

/** A seeded stream with tensor helpers. */
export interface RandomTensors {
  readonly rng: Rng;
  /** Uniform values in [lo, hi). */
  uniform(shape: readonly number[], lo?: number, hi?: number): HostTensor<'f32'>;
  /** Normal values times `scale`. */
  normal(shape: readonly number[], scale?: number): HostTensor<'f32'>;
  /** Uniform values rounded to bf16 / f16 bit patterns. */
  half(dtype: 'bf16' | 'f16', shape: readonly number[], scale?: number): HostTensor<'bf16' | 'f16'>;
}

/** Creates a random-tensor source from a seed. */
export function randomTensors(seed: number): RandomTensors {
  const rng = createRng(seed);
  const n = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  const uniform = (shape: readonly number[], lo = -1, hi = 1) =>
    tensor(
      'f32',
      shape,
      Float32Array.from({ length: n(shape) }, () => lo + (hi - lo) * rng.uniform()),
    );
  return {
    rng,
    uniform,
    normal: (shape, scale = 1) =>
      tensor(
        'f32',
        shape,
        Float32Array.from({ length: n(shape) }, () => scale * rng.normal()),
      ),
    half: (dtype, shape, scale = 1) => {
      const v = uniform(shape, -scale, scale).data;
      return tensor(dtype, shape, dtype === 'bf16' ? f32ArrayToBf16(v) : f32ArrayToF16(v));
    },
  };
}
