import { ShapeError } from '../errors.js';
import { DTYPE_ARRAY, type DType, type DTypeArrays } from './dtype.js';

/**
 * A tensor in host memory: little-endian, C (row-major) order. `data.length` equals the product of `shape`.
 * The data may be a view into a larger buffer (e.g. a safetensors file); treat it as read-only unless you own it.
 */
export interface HostTensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: DTypeArrays[D];
}

/** Number of elements of a shape (1 for a scalar `[]`). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Builds a host tensor, checking that the data length matches the shape. */
export function tensor<D extends DType>(dtype: D, shape: readonly number[], data: DTypeArrays[D]): HostTensor<D> {
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw new ShapeError(`invalid dimension ${d} in shape [${shape.join(', ')}]`);
  }
  const n = numel(shape);
  if (data.length !== n) {
    throw new ShapeError(`shape [${shape.join(', ')}] needs ${n} elements, data has ${data.length}`);
  }
  return { dtype, shape: [...shape], data };
}

/** A zero-filled tensor of the given dtype and shape. */
export function zeros<D extends DType>(dtype: D, shape: readonly number[]): HostTensor<D> {
  const Ctor = DTYPE_ARRAY[dtype] as unknown as new (n: number) => DTypeArrays[D];
  return tensor(dtype, shape, new Ctor(numel(shape)));
}

/** A float32 tensor from plain numbers (convenient in tests and examples). */
export function f32(shape: readonly number[], values: ArrayLike<number>): HostTensor<'f32'> {
  return tensor('f32', shape, Float32Array.from(values));
}

/** True when two shapes are equal. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Formats a shape as `(a, b, c)`, the way PEFT's messages and the golden READMEs write it. */
export function formatShape(shape: readonly number[]): string {
  return `(${shape.join(', ')})`;
}
