/**
 * What the mapping finds for one use of an adaptable layer in an ONNX graph.
 * @module
 */
import type { DType } from '@vblora/core';

/** How a weight initializer is stored: PEFT's `(out, in)` or transposed `(in, out)` (Conv1D, folded transposes). */
export type WeightLayout = 'out_in' | 'in_out';

/** How the module path of a graph module was found. */
export type PathSource = 'initializer' | 'scope' | 'user';

/** One MatMul/Gemm node whose weight is an initializer: a Linear or Conv1D layer of the exported model. */
export interface GraphModule {
  /** PEFT module path (`model.layers.0.self_attn.q_proj`), or null when nothing names it. */
  readonly path: string | null;
  /** Where the path came from: the weight's name, the node's exporter scope, or the caller's `moduleMap`. */
  readonly source: PathSource | null;
  /** The layer type PEFT sees: `linear` (nn.Linear) or `conv1d` (GPT-2's Conv1D, weight stored (in, out)). */
  readonly kind: 'linear' | 'conv1d';
  /** Name of the weight initializer. */
  readonly weight: string;
  /** How the weight initializer is laid out. */
  readonly layout: WeightLayout;
  /** Element type of the weight initializer. */
  readonly weightDtype: DType;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Name of the MatMul/Gemm node ('' when unnamed). */
  readonly node: string;
  /** Position of the MatMul/Gemm node in the graph. */
  readonly nodeIndex: number;
  readonly opType: 'MatMul' | 'Gemm';
  /** The layer input x (the node's first operand). */
  readonly input: string;
  /** The layer output: after the bias Add and after a final Cast to a narrower float type, when present. */
  readonly output: string;
  /** Position of the node that produces `output`. */
  readonly outputNodeIndex: number;
  /** Element type the MatMul/Gemm computes in (its operands' type). */
  readonly computeDtype: DType;
  /** Element type of `output`. */
  readonly outputDtype: DType;
  /** Name of the bias initializer, or null. */
  readonly bias: string | null;
}
