/** Seeded random host tensors for the GPU tests. */
import { createRng, f32ArrayToBf16, f32ArrayToF16, numel, tensor, type HostTensor } from '@vblora/core';

/** Uniform values in [-scale, scale), float32, from `createRng(seed)`. */
export function uniform(shape: readonly number[], seed: number, scale = 1): HostTensor<'f32'> {
  const rng = createRng(seed);
  const data = new Float32Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = (rng.uniform() * 2 - 1) * scale;
  return tensor('f32', shape, data);
}

/** Integer-valued logits in [0, levels) so that rows have many exact ties (tests the lowest-index rule). */
export function tiedLogits(shape: readonly number[], seed: number, levels: number): HostTensor<'f32'> {
  const rng = createRng(seed);
  const data = new Float32Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rng.uniform() * levels);
  return tensor('f32', shape, data);
}

/** A float32 tensor narrowed to `dtype` (f32 returned as is). */
export function as<D extends 'f32' | 'bf16' | 'f16'>(t: HostTensor<'f32'>, dtype: D): HostTensor<D> {
  if (dtype === 'f32') return t as HostTensor<D>;
  const bits = dtype === 'bf16' ? f32ArrayToBf16(t.data) : f32ArrayToF16(t.data);
  return tensor(dtype as 'bf16' | 'f16', t.shape, bits) as HostTensor<D>;
}
