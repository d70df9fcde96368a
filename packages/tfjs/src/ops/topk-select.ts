/**
 * Top-k selection of logits rows on the host. `tf.topk` has no gradient and orders NaN and tied −inf entries
 * arbitrarily, so indices are chosen here, outside any gradient tape, by core's `selectTopk` (the one home of the
 * rule: descending value, NaN ranked highest, ties lowest index first; docs/numerics.md). Selection is piecewise
 * constant, so treating the indices as constants gives the exact gradient almost everywhere.
 * @internal
 * @module
 */
import { selectTopk as selectRowTopk } from '@vblora/core';

/** The chosen indices of every row and the largest selected value per row (the softmax shift). */
export interface TopkSelection {
  /** (rows·k) bank indices, rank order within each row. */
  readonly indices: Int32Array;
  /** (rows·k) flat positions `row·nv + index` into the logits. */
  readonly flat: Int32Array;
  /** (rows) the top-ranked selected logit of each row (NaN when the row has a NaN). */
  readonly shift: Float32Array;
  readonly rows: number;
  readonly k: number;
}

/** Selects the k highest-ranked entries of each row of `values` (rows, nv), in rank order. */
export function selectTopk(values: Float32Array, nv: number, k: number): TopkSelection {
  const rows = nv === 0 ? 0 : values.length / nv;
  const indices = new Int32Array(rows * k);
  const flat = new Int32Array(rows * k);
  const shift = new Float32Array(rows);
  for (let row = 0; row < rows; row++) {
    const off = row * nv;
    const out = row * k;
    selectRowTopk(values, off, nv, k, indices, out);
    for (let j = 0; j < k; j++) flat[out + j] = off + indices[out + j]!;
    shift[row] = values[off + indices[out]!]!;
  }
  return { indices, flat, shift, rows, k };
}
