/**
 * Planning a model write: where each initializer goes (inline, typed fields as they are, or the external data
 * file at an aligned offset), and how many bytes the output will have — known before any file is created.
 *
 * Output size rule (issue #14, defect 9). Initializers that read the very same external range (same file,
 * offset and length: tied weights) are written once and share that range in the output, as they did in the
 * input. What can still grow — overlapping but different ranges, a shared range written inline, typed fields
 * expanded to raw bytes — is bounded: the output (model file + data file) may not exceed
 * {@link defaultMaxOutputBytes} of the input's own size unless the caller raises `maxOutputBytes`.
 * @internal
 * @module
 */
import { ResourceLimitError } from '@vblora/core';
import { OnnxModelError } from '../errors.js';
import { pb, type onnx } from '../proto.js';
import { externalDataRef } from './external-data.js';
import { fieldHeader, FIELD } from './field-header.js';
import type { OnnxModel } from './onnx-model.js';
import { storageOf, tensorByteLength } from './tensor-data.js';
import type { SourceFile } from './write-files.js';

/** Where tensor data go in the written model. */
export type ExternalDataMode = 'keep' | 'inline' | { readonly location?: string; readonly threshold?: number };

/** External tensors start at multiples of this (lets runtimes map them without copying). */
const ALIGN = 64;
/** Slack of the default output bound, for what a write adds (injected nodes, external_data entries, padding). */
const OUTPUT_SLACK = 64 * 2 ** 20;

/** The default cap on a write's output: twice the input's size plus 64 MiB. */
export function defaultMaxOutputBytes(inputBytes: number): number {
  return 2 * inputBytes + OUTPUT_SLACK;
}

/** Where one initializer goes. `write: false`: it shares a range that an earlier initializer writes. */
export type Place =
  | { readonly kind: 'inline' }
  | { readonly kind: 'typed' }
  | { readonly kind: 'external'; readonly offset: number; readonly write: boolean };

/** One initializer of the output. */
export interface Piece {
  readonly tensor: onnx.ITensorProto;
  readonly nbytes: number;
  /** Meta fields of the written tensor (no raw_data), or the whole tensor for `typed`. */
  readonly meta: Uint8Array;
  readonly place: Place;
}

/** A planned write. */
export interface WritePlan {
  readonly pieces: readonly Piece[];
  /** Bytes of the external data file (0: none is written). */
  readonly dataBytes: number;
  /** Bytes of the model file, and of its graph field's content. */
  readonly modelBytes: number;
  readonly graphLength: number;
  /** The input's own size: model bytes, the distinct external bytes read, and the replacement tensors. */
  readonly inputBytes: number;
  /** Largest tensor the writer itself materializes (typed fields written as raw bytes). */
  readonly largestMaterialized: number;
}

function metaProto(
  t: onnx.ITensorProto,
  external: { location: string; offset: number; length: number } | null,
): onnx.ITensorProto {
  const meta: onnx.ITensorProto = { name: t.name ?? '', dims: t.dims ?? [], dataType: t.dataType ?? 0 };
  if (t.docString) meta.docString = t.docString;
  if (t.segment) meta.segment = t.segment;
  if (external !== null) {
    meta.dataLocation = 1;
    meta.externalData = [
      { key: 'location', value: external.location },
      { key: 'offset', value: String(external.offset) },
      { key: 'length', value: String(external.length) },
    ];
  }
  return meta;
}

/** Bytes of one initializer field's content. */
export function tensorLength(p: Piece): number {
  if (p.place.kind !== 'inline') return p.meta.length;
  return p.meta.length + fieldHeader(FIELD.tensorRawData, p.nbytes).length + p.nbytes;
}

/** Bytes covered by a set of [start, end) ranges. */
function unionLength(ranges: [number, number][]): number {
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let total = 0;
  let end = -1;
  for (const [s, e] of ranges) {
    if (e <= end) continue;
    total += e - Math.max(s, end);
    end = e;
  }
  return total;
}

/**
 * Plans every initializer of `model` for a write. `head` and `graphMeta` are the lengths of the encoded model and
 * graph without the graph and the initializers; `sources` are the resolved external data files (location → file).
 * @throws {OnnxModelError} when an inline tensor's raw_data does not match its shape.
 */
export function planWrite(
  model: OnnxModel,
  mode: ExternalDataMode,
  replace: ReadonlySet<string>,
  location: string,
  sources: ReadonlyMap<string, SourceFile>,
  head: number,
  graphMeta: number,
): WritePlan {
  const threshold = typeof mode === 'object' ? (mode.threshold ?? 1024) : Infinity;
  let offset = 0;
  let largestMaterialized = 0;
  let replaced = 0;
  const pieces: Piece[] = [];
  const shared = new Map<string, number>(); // source range → output offset
  const read = new Map<string, [number, number][]>(); // real source file → ranges read
  for (const t of model.proto.graph!.initializer ?? []) {
    const name = t.name ?? '';
    const nbytes = tensorByteLength(t);
    const storage = storageOf(t);
    const isReplaced = replace.has(name);
    // the raw_data field header is written from the declared size, so a mismatched tensor would corrupt the file
    if (storage === 'raw' && !isReplaced && t.rawData!.length !== nbytes) {
      throw new OnnxModelError(
        `tensor ${name || '(unnamed)'}: raw_data has ${t.rawData!.length} bytes, its shape and type need ${nbytes}`,
        'tensor-size',
        name || '(unnamed)',
      );
    }
    const ref = externalDataRef(t);
    const source = ref === null || isReplaced ? undefined : sources.get(ref.location);
    if (isReplaced) replaced += nbytes;
    if (source !== undefined) {
      const ranges = read.get(source.real) ?? [];
      ranges.push([ref!.offset, ref!.offset + nbytes]);
      read.set(source.real, ranges);
    }
    const external =
      mode === 'keep' ? storage === 'external' : mode === 'inline' ? false : nbytes >= threshold && nbytes > 0;
    if (external) {
      const key = source === undefined ? null : `${source.real}\0${ref!.offset}\0${nbytes}`;
      const earlier = key === null ? undefined : shared.get(key);
      const at = earlier ?? Math.ceil(offset / ALIGN) * ALIGN;
      const meta = pb.TensorProto.encode(metaProto(t, { location, offset: at, length: nbytes })).finish();
      pieces.push({ tensor: t, nbytes, meta, place: { kind: 'external', offset: at, write: earlier === undefined } });
      if (earlier === undefined) {
        if (key !== null) shared.set(key, at);
        offset = at + nbytes;
        if (storage === 'typed' && !isReplaced) largestMaterialized = Math.max(largestMaterialized, nbytes);
      }
    } else if (storage === 'typed' && !isReplaced) {
      pieces.push({ tensor: t, nbytes, meta: pb.TensorProto.encode(t).finish(), place: { kind: 'typed' } });
    } else {
      pieces.push({
        tensor: t,
        nbytes,
        meta: pb.TensorProto.encode(metaProto(t, null)).finish(),
        place: { kind: 'inline' },
      });
    }
  }
  let graphLength = graphMeta;
  for (const p of pieces) {
    const len = tensorLength(p);
    graphLength += fieldHeader(FIELD.graphInitializer, len).length + len;
  }
  let inputBytes = model.bytes.length + replaced;
  for (const ranges of read.values()) inputBytes += unionLength(ranges);
  const modelBytes = head + fieldHeader(FIELD.modelGraph, graphLength).length + graphLength;
  return { pieces, dataBytes: offset, graphLength, modelBytes, inputBytes, largestMaterialized };
}

/**
 * Refuses a planned output larger than `max` (default {@link defaultMaxOutputBytes} of the input), before any file
 * is created.
 * @throws {ResourceLimitError} `maxOutputBytes`.
 */
export function checkOutputSize(plan: WritePlan, path: string, max: number | undefined): void {
  const total = plan.modelBytes + plan.dataBytes;
  const cap = max ?? defaultMaxOutputBytes(plan.inputBytes);
  if (total > cap) {
    const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
    throw new ResourceLimitError(
      `writing ${path} would produce ${mib(total)} from an input of ${mib(plan.inputBytes)} (tensors reading overlapping ` +
        `ranges of the external data are each copied out), over the ${max === undefined ? 'default ' : ''}output cap of ` +
        `${mib(cap)}; raise maxOutputBytes if this is intended`,
      'maxOutputBytes',
    );
  }
}
