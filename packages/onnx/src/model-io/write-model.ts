/**
 * Writing `.onnx` files. The model is streamed field by field: inline tensors are written straight from where
 * they are (views into the source bytes, replacement tensors computed one at a time), external tensors are copied
 * between data files in chunks, so a large model is never held twice in memory.
 * @module
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { formatShape, sameShape, ShapeError, UnsupportedError, VBLoRAError, type HostTensor } from '@vblora/core';
import { tempPathFor, writeErrorFor } from '@vblora/core/node';
import { OnnxModelError } from '../errors.js';
import { pb, type onnx } from '../proto.js';
import { externalDataRef, openExternal, resolveExternalPath } from './external-data.js';
import { fieldHeader, FIELD } from './field-header.js';
import type { OnnxModel } from './onnx-model.js';
import { hostBytes, readTensorData, storageOf, tensorByteLength, tensorDims, tensorDtype } from './tensor-data.js';

/** Where tensor data go in the written model. */
export type ExternalDataMode =
  | 'keep'
  | 'inline'
  | { readonly location?: string; readonly threshold?: number };

/** Options of {@link writeOnnxModel}. */
export interface WriteOnnxOptions {
  /**
   * New data for initializers, by name: same dtype and shape as the original. Each is computed when the writer
   * reaches it and dropped right after, so only one replacement is in memory at a time.
   */
  readonly replace?: ReadonlyMap<string, () => HostTensor | Promise<HostTensor>>;
  /**
   * `'keep'` (default): inline tensors stay inline, externally stored ones go to one data file beside the output;
   * `'inline'`: everything inline (must stay under protobuf's 2 GiB); `{ location, threshold }`: every tensor of at
   * least `threshold` bytes (default 1024) goes to the data file `location` (default `<output name>.data`).
   */
  readonly externalData?: ExternalDataMode;
}

/** What {@link writeOnnxModel} wrote. */
export interface WriteOnnxReport {
  readonly path: string;
  /** The external data file written beside the model, or null. */
  readonly dataPath: string | null;
  /** Bytes of the `.onnx` file. */
  readonly modelBytes: number;
  /** Bytes of the external data file (0 when none). */
  readonly dataBytes: number;
}

/** Protobuf's hard limit on one serialised message. */
const PROTOBUF_LIMIT = 2 ** 31 - 1;
/** External tensors start at multiples of this (lets runtimes map them without copying). */
const ALIGN = 64;
/** Bytes copied per read when moving external data between files. */
const CHUNK = 16 * 2 ** 20;

interface Piece {
  readonly tensor: onnx.ITensorProto;
  readonly nbytes: number;
  /** Meta fields of the written tensor (no raw_data). */
  readonly meta: Uint8Array;
  /** Inline raw_data follows the meta, or the data go to the external file at `offset`. */
  readonly place: { readonly inline: true } | { readonly inline: false; readonly offset: number } | { readonly keepTyped: true };
}

function metaProto(t: onnx.ITensorProto, external: { location: string; offset: number; length: number } | null): onnx.ITensorProto {
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

function checkReplacement(t: onnx.ITensorProto, r: HostTensor): void {
  const name = t.name ?? '';
  const dims = tensorDims(t);
  if (r.dtype !== tensorDtype(t) || !sameShape(r.shape, dims)) {
    throw new ShapeError(
      `replacement for initializer ${name} is ${r.dtype} ${formatShape(r.shape)}, the model has ${tensorDtype(t)} ${formatShape(dims)}`,
      name,
    );
  }
}

/** Plans every initializer: inline or external (with its offset), and encodes its meta fields. */
function plan(model: OnnxModel, mode: ExternalDataMode, replace: ReadonlyMap<string, unknown>, location: string): { pieces: Piece[]; dataBytes: number } {
  const threshold = typeof mode === 'object' ? (mode.threshold ?? 1024) : Infinity;
  let offset = 0;
  const pieces: Piece[] = [];
  for (const t of model.proto.graph!.initializer ?? []) {
    const nbytes = tensorByteLength(t);
    const storage = storageOf(t);
    // the raw_data field header is written from the declared size, so a mismatched tensor would corrupt the file
    if (storage === 'raw' && !replace.has(t.name ?? '') && t.rawData!.length !== nbytes) {
      throw new OnnxModelError(
        `tensor ${t.name ?? '(unnamed)'}: raw_data has ${t.rawData!.length} bytes, its shape and type need ${nbytes}`,
        'tensor-size',
        t.name ?? '(unnamed)',
      );
    }
    const external =
      mode === 'keep' ? storage === 'external' : mode === 'inline' ? false : nbytes >= threshold && nbytes > 0;
    if (external) {
      offset = Math.ceil(offset / ALIGN) * ALIGN;
      const meta = pb.TensorProto.encode(metaProto(t, { location, offset, length: nbytes })).finish();
      pieces.push({ tensor: t, nbytes, meta, place: { inline: false, offset } });
      offset += nbytes;
    } else if (storage === 'typed' && !replace.has(t.name ?? '')) {
      pieces.push({ tensor: t, nbytes, meta: pb.TensorProto.encode(t).finish(), place: { keepTyped: true } });
    } else {
      pieces.push({ tensor: t, nbytes, meta: pb.TensorProto.encode(metaProto(t, null)).finish(), place: { inline: true } });
    }
  }
  return { pieces, dataBytes: offset };
}

function tensorLength(p: Piece): number {
  if ('keepTyped' in p.place || !p.place.inline) return p.meta.length;
  return p.meta.length + fieldHeader(FIELD.tensorRawData, p.nbytes).length + p.nbytes;
}

class Sink {
  position = 0;
  constructor(readonly fh: FileHandle) {}
  async write(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.fh.write(bytes, done, bytes.length - done, this.position + done);
      done += bytesWritten;
    }
    this.position += bytes.length;
  }
  async padTo(offset: number): Promise<void> {
    if (offset > this.position) await this.write(new Uint8Array(offset - this.position));
  }
}

/** Streams the bytes of one tensor's data (replacement, inline view, typed fields or a source external file). */
async function writeTensorData(
  model: OnnxModel,
  p: Piece,
  replace: ReadonlyMap<string, () => HostTensor | Promise<HostTensor>>,
  sink: Sink,
): Promise<void> {
  const t = p.tensor;
  const compute = replace.get(t.name ?? '');
  if (compute !== undefined) {
    const r = await compute();
    checkReplacement(t, r);
    await sink.write(hostBytes(r));
    return;
  }
  const ref = externalDataRef(t);
  if (ref === null) {
    await sink.write(storageOf(t) === 'raw' ? t.rawData! : hostBytes(await readTensorData(model, t)));
    return;
  }
  const name = t.name ?? '';
  const src = await openExternal(model.baseDir, ref, p.nbytes, name);
  try {
    const buf = new Uint8Array(Math.min(CHUNK, Math.max(p.nbytes, 1)));
    for (let done = 0; done < p.nbytes; ) {
      const want = Math.min(buf.length, p.nbytes - done);
      const { bytesRead } = await src.read(buf, 0, want, ref.offset + done);
      if (bytesRead === 0) {
        throw new OnnxModelError(`tensor ${name}: external data file ${ref.location} is shorter than the tensor`, 'external-data', name);
      }
      await sink.write(buf.subarray(0, bytesRead));
      done += bytesRead;
    }
  } finally {
    await src.close();
  }
}

/**
 * Writes a model to `path` (atomically: temporary files renamed at the end; on failure nothing is left behind),
 * optionally with new data for some initializers and with tensors moved into or out of an external data file.
 * @example
 * ```ts
 * await writeOnnxModel(model, 'big.onnx', { externalData: { threshold: 1024 } });
 * ```
 * @throws {UnsupportedError} when an inline model would exceed protobuf's 2 GiB limit.
 * @throws {WriteError} when the file system refuses the write.
 */
export async function writeOnnxModel(model: OnnxModel, path: string, options: WriteOnnxOptions = {}): Promise<WriteOnnxReport> {
  const replace = options.replace ?? new Map<string, () => HostTensor>();
  const mode = options.externalData ?? 'keep';
  const location = (typeof mode === 'object' ? mode.location : undefined) ?? `${basename(path)}.data`;
  const graph = model.proto.graph!;
  const { pieces, dataBytes } = plan(model, mode, replace, location);
  const head = pb.ModelProto.encode({ ...model.proto, graph: null }).finish();
  const graphMeta = pb.GraphProto.encode({ ...graph, initializer: [] }).finish();
  let graphLength = graphMeta.length;
  for (const p of pieces) {
    const len = tensorLength(p);
    graphLength += fieldHeader(FIELD.graphInitializer, len).length + len;
  }
  const graphHeader = fieldHeader(FIELD.modelGraph, graphLength);
  const total = head.length + graphHeader.length + graphLength;
  if (total > PROTOBUF_LIMIT) {
    throw new UnsupportedError(
      `the model would be ${total} bytes inline, over protobuf's 2 GiB limit: write it with externalData: { threshold: 1024 }`,
    );
  }
  const dataPath = pieces.some((p) => 'inline' in p.place && !p.place.inline) ? resolveExternalPathForWrite(path, location) : null;
  const tmpModel = tempPathFor(path);
  const tmpData = dataPath === null ? null : tempPathFor(dataPath);
  let modelFh: FileHandle | undefined;
  let dataFh: FileHandle | undefined;
  try {
    modelFh = await open(tmpModel, 'wx', 0o644);
    if (tmpData !== null) dataFh = await open(tmpData, 'wx', 0o644);
    const out = new Sink(modelFh);
    const data = dataFh === undefined ? null : new Sink(dataFh);
    await out.write(head);
    await out.write(graphHeader);
    await out.write(graphMeta);
    for (const p of pieces) {
      await out.write(fieldHeader(FIELD.graphInitializer, tensorLength(p)));
      await out.write(p.meta);
      if ('keepTyped' in p.place) continue;
      if (p.place.inline) {
        await out.write(fieldHeader(FIELD.tensorRawData, p.nbytes));
        await writeTensorData(model, p, replace, out);
      } else {
        await data!.padTo(p.place.offset);
        await writeTensorData(model, p, replace, data!);
      }
    }
    await data?.padTo(dataBytes);
    await modelFh.sync();
    await dataFh?.sync();
    await modelFh.close();
    modelFh = undefined;
    await dataFh?.close();
    dataFh = undefined;
    if (tmpData !== null) await rename(tmpData, dataPath!);
    await rename(tmpModel, path);
    return { path, dataPath, modelBytes: total, dataBytes: dataPath === null ? 0 : dataBytes };
  } catch (err) {
    await modelFh?.close().catch(() => undefined);
    await dataFh?.close().catch(() => undefined);
    await rm(tmpModel, { force: true }).catch(() => undefined);
    if (tmpData !== null) await rm(tmpData, { force: true }).catch(() => undefined);
    if (err instanceof VBLoRAError) throw err;
    throw writeErrorFor(path, err);
  }
}

/** The external data file of a model written to `path` (same folder rules as reading). */
function resolveExternalPathForWrite(path: string, location: string): string {
  return resolveExternalPath(dirname(path), location, '(external data)');
}
