/**
 * The VB-LoRA branch beside one layer: y = base + (x·Aᵀ)·Bᵀ with A (rows, r, in) and B (rows, out, r) gathered
 * per batch row from the stacked adapters of a run (or one built-in A/B for a `static` model). Arithmetic as
 * core's `adapterForward` and PEFT's forward (SPEC §4.3): x widened to float32, h = x·Aᵀ, t = h·Bᵀ,
 * y = round_dtype(f32(base) + t) — for a float16 model the sum is float32 and rounded once to float16. A quantized
 * layer's base op is left as it is: x is the float activation before any quantization.
 * @module
 */
import { GraphBuilder } from '../graph/graph-builder.js';
import type { GraphModule } from '../mapping/graph-module.js';
import { onnxFromDtype } from '../model-io/onnx-dtype.js';

/** Tensors shared by every branch of a graph. */
export interface SharedTensors {
  /** The row-adapter input (rows,) int64. */
  readonly rowAdapter: string;
  /** (3,) int64 shape `[rows, -1, in]` for each input width `in`. */
  readonly rowShape: (inFeatures: number) => string;
}

/**
 * Builds the shared nodes: the number of rows and the `[rows, -1, in]` shapes, computed once per run.
 * @param widths the input widths of the injected layers.
 */
export function sharedTensors(g: GraphBuilder, rowAdapter: string, widths: Iterable<number>): SharedTensors {
  const rows = g.op1('Shape', [rowAdapter], {}, { name: 'vblora/rows' });
  const minus1 = g.int64([-1]);
  const shapes = new Map<number, string>();
  for (const w of new Set(widths)) {
    shapes.set(w, g.op1('Concat', [rows, minus1, g.int64([w])], { axis: { i: 0 } }, { name: `vblora/row_shape_${w}` }));
  }
  return { rowAdapter, rowShape: (w) => shapes.get(w)! };
}

/**
 * Adds the branch of one layer use. `A`/`B` are the stacked adapters (n, r, in) / (n, out, r) in float32;
 * `baseOut` is the layer's renamed original output, `output` the name the layer's consumers read.
 */
export function addBranch(
  g: GraphBuilder,
  layer: GraphModule,
  shared: SharedTensors,
  A: string,
  B: string,
  baseOut: string,
  output: string,
): void {
  const scope = `vblora/${layer.path}/${layer.nodeIndex}`;
  const x = g.cast(layer.input, layer.computeDtype, 'f32', `${scope}/x_f32`);
  const xs = g.op1('Reshape', [x, shared.rowShape(layer.inFeatures)], {}, { name: `${scope}/reshape_x` }); // (rows, L, in)
  const a = g.op1('Gather', [A, shared.rowAdapter], { axis: { i: 0 } }, { name: `${scope}/gather_A` }); // (rows, r, in)
  const at = g.op1('Transpose', [a], { perm: { ints: [0, 2, 1] } }, { name: `${scope}/A_t` }); // (rows, in, r)
  const h = g.op1('MatMul', [xs, at], {}, { name: `${scope}/xA` }); // (rows, L, r)
  const b = g.op1('Gather', [B, shared.rowAdapter], { axis: { i: 0 } }, { name: `${scope}/gather_B` }); // (rows, out, r)
  const bt = g.op1('Transpose', [b], { perm: { ints: [0, 2, 1] } }, { name: `${scope}/B_t` }); // (rows, r, out)
  const t = g.op1('MatMul', [h, bt], {}, { name: `${scope}/xAB` }); // (rows, L, out)
  const tr = g.op1('Reshape', [t, g.op1('Shape', [baseOut])], {}, { name: `${scope}/reshape_t` });
  addToBase(g, layer, scope, baseOut, tr, output);
}

/**
 * Adds the branch of one layer use of a `static` model: `At` (in, r) and `Bt` (r, out) are the built-in adapter's
 * Aᵀ and Bᵀ in float32, so the branch is two MatMuls on x of any rank — no per-row selection.
 */
export function addStaticBranch(
  g: GraphBuilder,
  layer: GraphModule,
  At: string,
  Bt: string,
  baseOut: string,
  output: string,
): void {
  const scope = `vblora/${layer.path}/${layer.nodeIndex}`;
  const x = g.cast(layer.input, layer.computeDtype, 'f32', `${scope}/x_f32`);
  const h = g.op1('MatMul', [x, At], {}, { name: `${scope}/xA` }); // (..., r)
  const t = g.op1('MatMul', [h, Bt], {}, { name: `${scope}/xAB` }); // (..., out)
  addToBase(g, layer, scope, baseOut, t, output);
}

/** y = round_dtype(f32(base) + t): PEFT's promotion of the base output to the adapter's float32, cast back. */
function addToBase(
  g: GraphBuilder,
  layer: GraphModule,
  scope: string,
  baseOut: string,
  t: string,
  output: string,
): void {
  const base = g.cast(baseOut, layer.outputDtype, 'f32', `${scope}/base_f32`);
  if (layer.outputDtype === 'f32') {
    g.op('Add', [base, t], {}, { name: `${scope}/add`, outputs: [output] });
  } else {
    const sum = g.op1('Add', [base, t], {}, { name: `${scope}/add` });
    g.op('Cast', [sum], { to: { i: onnxFromDtype(layer.outputDtype) } }, { name: `${scope}/round`, outputs: [output] });
  }
}
