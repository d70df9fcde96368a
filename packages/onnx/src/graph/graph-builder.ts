/**
 * A small builder for ONNX graphs: inputs, outputs, initializers and nodes with fresh tensor names. Used for the
 * injected adapter branches and the backend's kernel graphs.
 * @module
 */
import type { DType, HostTensor } from '@vblora/core';
import { onnxFromDtype } from '../model-io/onnx-dtype.js';
import { tensorProtoFromHost } from '../model-io/tensor-data.js';
import type { onnx } from '../proto.js';
import { makeAttributes, type AttrValue } from './attributes.js';

/** One dimension of a declared shape: a size, a symbolic name, or null (unknown). */
export type Dim = number | string | null;

/** ONNX opset and IR version written by vblora.js (what python-onnx 1.12's checker and onnxruntime 1.30 accept). */
export const OPSET = 17;
/** IR version written by vblora.js. */
export const IR_VERSION = 8;

/** A `ValueInfoProto` for a tensor of the given dtype and shape (omit the shape for an unknown rank). */
export function valueInfo(name: string, dtype: DType, shape?: readonly Dim[]): onnx.IValueInfoProto {
  const tensorType: onnx.TypeProto.ITensor = { elemType: onnxFromDtype(dtype) };
  if (shape !== undefined) {
    tensorType.shape = {
      dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})),
    };
  }
  return { name, type: { tensorType } };
}

/** Options of {@link GraphBuilder.op}. */
export interface OpOptions {
  /** Node name (default: none). */
  readonly name?: string;
  /** Output tensor names, or how many fresh ones to make (default 1). */
  readonly outputs?: readonly string[] | number;
  /** Operator domain (default: the ONNX domain). */
  readonly domain?: string;
}

/** Builds a graph node by node. */
export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly inputs: onnx.IValueInfoProto[] = [];
  readonly outputs: onnx.IValueInfoProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private counter = 0;

  /** @param prefix prefix of generated tensor names, so they cannot collide with a host graph's names. */
  constructor(readonly prefix = 't') {}

  /** A fresh tensor name. */
  fresh(hint = 'v'): string {
    return `${this.prefix}${hint}_${this.counter++}`;
  }

  /** Declares a graph input. */
  input(name: string, dtype: DType, shape?: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, dtype, shape));
    return name;
  }

  /** Declares a graph output. */
  output(name: string, dtype: DType, shape?: readonly Dim[]): string {
    this.outputs.push(valueInfo(name, dtype, shape));
    return name;
  }

  /** Adds an initializer holding a host tensor (its data are viewed, not copied). */
  init(name: string, t: HostTensor): string {
    this.initializers.push(tensorProtoFromHost(name, t));
    return name;
  }

  /** Adds an int64 constant initializer with a fresh name. */
  int64(values: readonly number[], shape: readonly number[] = [values.length]): string {
    const name = this.fresh('c');
    this.init(name, { dtype: 'i64', shape, data: BigInt64Array.from(values, (v) => BigInt(v)) });
    return name;
  }

  /** Adds a float32 constant initializer with a fresh name. */
  float32(values: readonly number[], shape: readonly number[] = [values.length]): string {
    const name = this.fresh('c');
    this.init(name, { dtype: 'f32', shape, data: Float32Array.from(values) });
    return name;
  }

  /** Adds a node and returns its output tensor names. */
  op(
    opType: string,
    inputs: readonly string[],
    attrs: Readonly<Record<string, AttrValue>> = {},
    options: OpOptions = {},
  ): string[] {
    const outs = options.outputs ?? 1;
    const outputs =
      typeof outs === 'number' ? Array.from({ length: outs }, () => this.fresh(opType.toLowerCase())) : [...outs];
    const node: onnx.INodeProto = { opType, input: [...inputs], output: outputs, attribute: makeAttributes(attrs) };
    if (options.name !== undefined) node.name = options.name;
    if (options.domain !== undefined) node.domain = options.domain;
    this.nodes.push(node);
    return outputs;
  }

  /** Adds a single-output node and returns its output name. */
  op1(
    opType: string,
    inputs: readonly string[],
    attrs: Readonly<Record<string, AttrValue>> = {},
    options: OpOptions = {},
  ): string {
    return this.op(opType, inputs, attrs, options)[0]!;
  }

  /** `Cast` to `dtype`, or the input itself when it already has it. */
  cast(input: string, from: DType, to: DType, name?: string): string {
    if (from === to) return input;
    return this.op1('Cast', [input], { to: { i: onnxFromDtype(to) } }, name === undefined ? {} : { name });
  }

  /** The finished graph. */
  graph(name = 'graph'): onnx.IGraphProto {
    return { name, node: this.nodes, input: this.inputs, output: this.outputs, initializer: this.initializers };
  }

  /** The finished model (opset {@link OPSET}, IR {@link IR_VERSION}). */
  model(name = 'graph', producer = 'vblora.js'): onnx.IModelProto {
    return {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: producer,
      graph: this.graph(name),
    };
  }
}
