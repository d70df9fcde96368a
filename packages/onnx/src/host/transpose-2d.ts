/**
 * Transposing a 2-D host tensor of any dtype (a weight stored (in, out) vs PEFT's (out, in)).
 * @module
 */
import { DTYPE_ARRAY, ShapeError, formatShape, type HostTensor, type TensorData } from '@vblora/core';

/** The transpose of a 2-D tensor, same dtype, new buffer. @throws {ShapeError} when the tensor is not 2-D. */
export function transpose2d<T extends HostTensor>(t: T): T {
  if (t.shape.length !== 2) throw new ShapeError(`transpose2d: expected a 2-D tensor, got ${formatShape(t.shape)}`);
  const [rows, cols] = t.shape as [number, number];
  const Ctor = DTYPE_ARRAY[t.dtype] as unknown as new (n: number) => TensorData;
  const out = new Ctor(rows * cols) as unknown as { [i: number]: number | bigint };
  const src = t.data as unknown as ArrayLike<number | bigint>;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c]!;
  return { dtype: t.dtype, shape: [cols, rows], data: out as unknown as TensorData } as unknown as T;
}
