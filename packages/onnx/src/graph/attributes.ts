/**
 * Node attributes as tagged values, so an int and a float attribute are never confused.
 * @module
 */
import { AttrType, toInt, type onnx } from '../proto.js';

/** One attribute value: `{ i }` int, `{ f }` float, `{ s }` string, `{ ints }`, `{ floats }`, `{ t }` tensor. */
export type AttrValue =
  | { readonly i: number }
  | { readonly f: number }
  | { readonly s: string }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly t: onnx.ITensorProto };

/** Encodes tagged attribute values as `AttributeProto`s. */
export function makeAttributes(attrs: Readonly<Record<string, AttrValue>>): onnx.IAttributeProto[] {
  return Object.entries(attrs).map(([name, v]): onnx.IAttributeProto => {
    if ('i' in v) return { name, type: AttrType.INT, i: v.i };
    if ('f' in v) return { name, type: AttrType.FLOAT, f: v.f };
    if ('s' in v) return { name, type: AttrType.STRING, s: new TextEncoder().encode(v.s) };
    if ('ints' in v) return { name, type: AttrType.INTS, ints: [...v.ints] };
    if ('floats' in v) return { name, type: AttrType.FLOATS, floats: [...v.floats] };
    return { name, type: AttrType.TENSOR, t: v.t };
  });
}

/** An integer attribute of a node, or `fallback` when absent. */
export function intAttr(node: onnx.INodeProto, name: string, fallback: number): number {
  const a = node.attribute?.find((x) => x.name === name);
  return a === undefined ? fallback : toInt(a.i);
}

/** A float attribute of a node, or `fallback` when absent. */
export function floatAttr(node: onnx.INodeProto, name: string, fallback: number): number {
  const a = node.attribute?.find((x) => x.name === name);
  return a === undefined ? fallback : (a.f ?? fallback);
}

/** An ints attribute of a node, or null when absent. */
export function intsAttr(node: onnx.INodeProto, name: string): number[] | null {
  const a = node.attribute?.find((x) => x.name === name);
  return a === undefined ? null : (a.ints ?? []).map((v) => toInt(v));
}
