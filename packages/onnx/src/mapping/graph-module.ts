/**
 * What the mapping finds for one use of an adaptable layer in an ONNX graph.
 * @module
 */
import type { DType } from '@vblora/core';

/** How a weight initializer is stored: PEFT's `(out, in)` or transposed `(in, out)` (Conv1D, folded transposes). */
export type WeightLayout = 'out_in' | 'in_out';

/** How the module path of a graph module was found. */
export type PathSource = 'initializer' | 'scope' | 'user';

/**
 * How the layer's weight is stored and applied: `float` (MatMul/Gemm on a float32/float16/bfloat16 weight),
 * `q4` (com.microsoft `MatMulNBits`, 4 bits, block-wise scales), `int8` (8-bit weights with dynamically quantized
 * activations: `DynamicQuantizeLinear` → `MatMulInteger` → `Cast` → `Mul`, or com.microsoft
 * `DynamicQuantizeMatMul` / `MatMulIntegerToFloat`).
 */
export type WeightFormat = 'float' | 'q4' | 'int8';

/** The operator that applies the weight. */
export type LayerOp =
  'MatMul' | 'Gemm' | 'MatMulNBits' | 'MatMulInteger' | 'DynamicQuantizeMatMul' | 'MatMulIntegerToFloat';

/** A `MatMulNBits` weight: packed uint8 `(N, k_blocks, block_size·bits/8)`, the other tensors by name. */
export interface Q4Weight {
  readonly format: 'q4';
  readonly bits: 4;
  readonly blockSize: number;
  /** Scales initializer, `(N, k_blocks)` or flat, in the activations' dtype. */
  readonly scales: string;
  /** Packed uint8 zero points (or zero points in the scales' dtype), or null (the default, 2^(bits−1)). */
  readonly zeroPoints: string | null;
}

/** An 8-bit weight `(in, out)` with its scale and zero point initializers (per tensor or per output column). */
export interface Int8Weight {
  readonly format: 'int8';
  /** Weight scale initializer. */
  readonly scale: string;
  /** Weight zero point initializer, or null (zero). */
  readonly zeroPoint: string | null;
  /** The `DynamicQuantizeLinear` node that quantizes x ('' when unnamed; null for `DynamicQuantizeMatMul`). */
  readonly quantizeNode: string | null;
}

/** A quantized weight's details. */
export type QuantizedWeight = Q4Weight | Int8Weight;

/** One step from a graph into a subgraph: the node holding it and the attribute (`then_branch`, `else_branch`). */
export interface SubgraphStep {
  /** Name of the `If` node ('' when unnamed). */
  readonly node: string;
  /** Position of that node in its graph. */
  readonly nodeIndex: number;
  readonly attribute: string;
}

/**
 * One node that applies an initializer weight to an activation: a Linear or Conv1D layer of the exported model,
 * in float or quantized form, in the top-level graph or inside `If` branches.
 */
export interface GraphModule {
  /** PEFT module path (`model.layers.0.self_attn.q_proj`), or null when nothing names it. */
  readonly path: string | null;
  /** Where the path came from: the weight's name, the node's exporter scope, or the caller's `moduleMap`. */
  readonly source: PathSource | null;
  /** The layer type PEFT sees: `linear` (nn.Linear) or `conv1d` (GPT-2's Conv1D, weight stored (in, out)). */
  readonly kind: 'linear' | 'conv1d';
  /** Name of the weight initializer (the packed or quantized one for quantized layers). */
  readonly weight: string;
  /** How the weight is laid out: `out_in` for `MatMulNBits` (N rows of K), `in_out` for 8-bit weights. */
  readonly layout: WeightLayout;
  /** Element type of the weight initializer (`u8`/`i8` for quantized layers). */
  readonly weightDtype: DType;
  /** How the weight is stored and applied. */
  readonly format: WeightFormat;
  /** Scales, zero points and block size of a quantized weight; null for `float`. */
  readonly quant: QuantizedWeight | null;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Name of the node applying the weight ('' when unnamed): the MatMul/Gemm, `MatMulNBits`, `MatMulInteger`, .... */
  readonly node: string;
  /** Position of that node in its graph. */
  readonly nodeIndex: number;
  readonly opType: LayerOp;
  /** The layer input x: the float activation (for `int8`, the input of `DynamicQuantizeLinear`). */
  readonly input: string;
  /** The layer output: after dequantization, the bias Add and a final Cast to a narrower float type, when present. */
  readonly output: string;
  /** Position of the node that produces `output`, in the layer's graph. */
  readonly outputNodeIndex: number;
  /** Element type of the activations the layer computes on (x's dtype; a float weight's type where it is used). */
  readonly computeDtype: DType;
  /** Element type of `output`. */
  readonly outputDtype: DType;
  /** Name of the bias initializer, or null. */
  readonly bias: string | null;
  /** Where the layer lives: [] for the top-level graph, else the `If` nodes and branches leading to its subgraph. */
  readonly subgraph: readonly SubgraphStep[];
}

/** A stable key for a subgraph location: '' for the top-level graph, else `<nodeIndex>.<attribute>` steps. */
export function subgraphKey(steps: readonly SubgraphStep[]): string {
  return steps.map((s) => `${s.nodeIndex}.${s.attribute}`).join('/');
}

/** A readable name of a subgraph location, for messages: `top-level graph` or `If node "x" then_branch / …`. */
export function subgraphLabel(steps: readonly SubgraphStep[]): string {
  if (steps.length === 0) return 'top-level graph';
  return steps.map((s) => `${s.node === '' ? `node #${s.nodeIndex}` : `node "${s.node}"`} ${s.attribute}`).join(' / ');
}

/**
 * A node that applies a weight to an activation but cannot carry a VB-LoRA branch (statically quantized
 * `QLinearMatMul`, a QDQ weight, a `MatMulNBits` of other than 4 bits, ...). Mapping a module to it fails with a
 * `ModuleMappingError` that names the node and says why.
 */
export interface UnsupportedLayer {
  /** Module path from the node scope or weight name, or null. */
  readonly path: string | null;
  readonly node: string;
  readonly nodeIndex: number;
  readonly opType: string;
  /** Why the layer cannot be adapted, and what is supported instead. */
  readonly reason: string;
  /** In/out features when the weight says (0 when unknown). */
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly subgraph: readonly SubgraphStep[];
}
