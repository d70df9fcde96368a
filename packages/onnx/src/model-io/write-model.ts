/**
 * Writing `.onnx` files. The model is streamed field by field: inline tensors are written straight from where
 * they are (views into the source bytes, replacement tensors computed one at a time), external tensors are copied
 * between data files in chunks, so a large model is never held twice in memory. Every file read or written is
 * settled first (see `write-files.ts`), and the output's size is known and bounded before anything is created
 * (see `write-plan.ts`).
 * @module
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import {
  checkMemoryBudget,
  DEFAULT_MAX_MEMORY_BYTES,
  formatShape,
  sameShape,
  ShapeError,
  UnsupportedError,
  VBLoRAError,
  type HostTensor,
} from '@vblora/core';
import { removeStaleTempFiles, syncFolder, tempPathFor, writeErrorFor } from '@vblora/core/node';
import { OnnxModelError } from '../errors.js';
import { subgraphsOf } from '../graph/graph-index.js';
import { pb, type onnx } from '../proto.js';
import { externalDataRef, openExternal } from './external-data.js';
import { fieldHeader, FIELD } from './field-header.js';
import type { OnnxModel } from './onnx-model.js';
import { hostBytes, readTensorData, storageOf, tensorDims, tensorDtype } from './tensor-data.js';
import { refuseOverwritingInputs, resolveOutputData, resolveSources, type OutputData } from './write-files.js';
import {
  checkOutputSize,
  planWrite,
  tensorLength,
  type ExternalDataMode,
  type Piece,
  type WritePlan,
} from './write-plan.js';

export type { ExternalDataMode } from './write-plan.js';

/** Options of {@link writeOnnxModel}. */
export interface WriteOnnxOptions {
  /**
   * New data for initializers, by name: same dtype and shape as the original. Each is computed when the writer
   * reaches it and dropped right after, so only one replacement is in memory at a time.
   */
  readonly replace?: ReadonlyMap<string, () => HostTensor | Promise<HostTensor>>;
  /**
   * `'keep'` (default): inline tensors stay inline, externally stored ones go to one data file beside the output
   * (tensors that share one range of the input share it in the output); `'inline'`: everything inline (must stay
   * under protobuf's 2 GiB); `{ location, threshold }`: every tensor of at least `threshold` bytes (default 1024)
   * goes to the data file `location` (default `<output name>.data`), which must lie inside the output's folder.
   */
  readonly externalData?: ExternalDataMode;
  /**
   * Cap on the bytes written (model file + data file), checked before any file is created. Default: twice the
   * input's size (the model's bytes, the distinct external bytes it reads, the replacements) plus 64 MiB.
   */
  readonly maxOutputBytes?: number;
  /** Memory budget in bytes for the model held and the writer's own buffers (default `DEFAULT_MAX_MEMORY_BYTES`). */
  readonly maxMemoryBytes?: number;
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
/** Bytes copied per read when moving external data between files. */
const CHUNK = 16 * 2 ** 20;

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
  budget: number,
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
    await sink.write(
      storageOf(t) === 'raw' ? t.rawData! : hostBytes(await readTensorData(model, t, { maxMemoryBytes: budget })),
    );
    return;
  }
  const name = t.name ?? '';
  const src = await openExternal(model.baseDir, ref, p.nbytes, name);
  try {
    const buf = new Uint8Array(Math.min(CHUNK, Math.max(p.nbytes, 1)));
    for (let done = 0; done < p.nbytes;) {
      const want = Math.min(buf.length, p.nbytes - done);
      const { bytesRead } = await src.read(buf, 0, want, ref.offset + done);
      if (bytesRead === 0) {
        throw new OnnxModelError(
          `tensor ${name}: external data file ${ref.location} is shorter than the tensor`,
          'external-data',
          name,
        );
      }
      await sink.write(buf.subarray(0, bytesRead));
      done += bytesRead;
    }
  } finally {
    await src.close();
  }
}

/**
 * Only the top-level initializers' external data is carried over (read, copied or moved); a tensor kept elsewhere
 * in a data file — a subgraph's initializer (`If`/`Loop` branches), a node attribute — would still point at the
 * input's file from the output's folder. Such models are refused before anything is written.
 */
function refuseNestedExternalData(graph: onnx.IGraphProto): void {
  const stack: { graph: onnx.IGraphProto; where: string }[] = [{ graph, where: '' }];
  while (stack.length > 0) {
    const { graph: g, where } = stack.pop()!;
    const tensors = where === '' ? [] : (g.initializer ?? []).map((t) => ({ t, at: `initializer of ${where}` }));
    for (const n of g.node ?? []) {
      const node = n.name ?? n.opType ?? '?';
      for (const a of n.attribute ?? []) {
        for (const t of [...(a.t === null || a.t === undefined ? [] : [a.t]), ...(a.tensors ?? [])])
          tensors.push({ t, at: `attribute ${a.name ?? ''} of node ${node}` });
      }
      for (const sub of subgraphsOf(n)) stack.push({ graph: sub.graph, where: `node ${node} (${sub.attribute})` });
    }
    for (const { t, at } of tensors) {
      if (externalDataRef(t) !== null) {
        throw new UnsupportedError(
          `tensor ${t.name ?? '(unnamed)'} (${at}) keeps its data in an external file; only top-level initializers' external ` +
            'data can be written (re-export the model with that tensor inline or as a top-level initializer)',
        );
      }
    }
  }
}

/** Plans a write and settles its files; nothing is created yet. */
async function prepare(
  model: OnnxModel,
  path: string,
  options: WriteOnnxOptions,
): Promise<{ plan: WritePlan; head: Uint8Array; graphMeta: Uint8Array; data: OutputData | null }> {
  const mode = options.externalData ?? 'keep';
  const location = (typeof mode === 'object' ? mode.location : undefined) ?? `${basename(path)}.data`;
  const graph = model.proto.graph!;
  refuseNestedExternalData(graph);
  const replaced = new Set((options.replace ?? new Map()).keys());
  const sources = await resolveSources(model, replaced);
  const head = pb.ModelProto.encode({ ...model.proto, graph: null }).finish();
  const graphMeta = pb.GraphProto.encode({ ...graph, initializer: [] }).finish();
  const plan = planWrite(model, mode, replaced, location, sources, head.length, graphMeta.length);
  if (plan.modelBytes > PROTOBUF_LIMIT) {
    throw new UnsupportedError(
      `the model would be ${plan.modelBytes} bytes inline, over protobuf's 2 GiB limit: write it with externalData: { threshold: 1024 }`,
    );
  }
  checkOutputSize(plan, path, options.maxOutputBytes);
  const budget = options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
  checkMemoryBudget(model.bytes.length + CHUNK + plan.largestMaterialized, `writing ${path}`, budget);
  const data = plan.pieces.some((p) => p.place.kind === 'external') ? await resolveOutputData(path, location) : null;
  await refuseOverwritingInputs(model, data === null ? [path] : [path, data.target], sources);
  return { plan, head, graphMeta, data };
}

/**
 * Writes a model to `path` (atomically: temporary files renamed at the end; on failure nothing is left behind),
 * optionally with new data for some initializers and with tensors moved into or out of an external data file.
 * Before any file is created: every external data file read is resolved inside the model's folder (links
 * followed), the data file written is inside the output's folder, no output is an input, and the output's size is
 * within `maxOutputBytes`.
 * @example
 * ```ts
 * await writeOnnxModel(model, 'big.onnx', { externalData: { threshold: 1024 } });
 * ```
 * @throws {OnnxModelError} `external-data` when an external tensor cannot be read from inside the model's folder.
 * @throws {PathError} when the data file would leave the output's folder, or an output is an input.
 * @throws {ResourceLimitError} when the output or the memory needed is over its cap.
 * @throws {UnsupportedError} when an inline model would exceed protobuf's 2 GiB limit, or a tensor other than a
 * top-level initializer keeps its data in an external file.
 * @throws {WriteError} when the file system refuses the write.
 */
export async function writeOnnxModel(
  model: OnnxModel,
  path: string,
  options: WriteOnnxOptions = {},
): Promise<WriteOnnxReport> {
  const replace = options.replace ?? new Map<string, () => HostTensor>();
  const budget = options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
  let tmpModel: string | null = null;
  let tmpData: string | null = null;
  let modelFh: FileHandle | undefined;
  let dataFh: FileHandle | undefined;
  try {
    const { plan, head, graphMeta, data: dataFile } = await prepare(model, path, options);
    tmpModel = tempPathFor(path);
    modelFh = await open(tmpModel, 'wx', 0o644);
    if (dataFile !== null) {
      tmpData = tempPathFor(dataFile.target);
      dataFh = await open(tmpData, 'wx', 0o644);
    }
    const out = new Sink(modelFh);
    const data = dataFh === undefined ? null : new Sink(dataFh);
    await out.write(head);
    await out.write(fieldHeader(FIELD.modelGraph, plan.graphLength));
    await out.write(graphMeta);
    for (const p of plan.pieces) {
      await out.write(fieldHeader(FIELD.graphInitializer, tensorLength(p)));
      await out.write(p.meta);
      if (p.place.kind === 'inline') {
        await out.write(fieldHeader(FIELD.tensorRawData, p.nbytes));
        await writeTensorData(model, p, replace, out, budget);
      } else if (p.place.kind === 'external' && p.place.write) {
        await data!.padTo(p.place.offset);
        await writeTensorData(model, p, replace, data!, budget);
      }
    }
    await data?.padTo(plan.dataBytes);
    await modelFh.sync();
    await dataFh?.sync();
    await modelFh.close();
    modelFh = undefined;
    await dataFh?.close();
    dataFh = undefined;
    if (tmpData !== null) await rename(tmpData, dataFile!.target);
    tmpData = null;
    await rename(tmpModel, path);
    tmpModel = null;
    await syncFolder(dirname(path));
    if (dataFile !== null) await syncFolder(dirname(dataFile.target));
    await removeStaleTempFiles(path).catch(() => undefined);
    if (dataFile !== null) await removeStaleTempFiles(dataFile.target).catch(() => undefined);
    return {
      path,
      dataPath: dataFile?.path ?? null,
      modelBytes: plan.modelBytes,
      dataBytes: dataFile === null ? 0 : plan.dataBytes,
    };
  } catch (err) {
    await modelFh?.close().catch(() => undefined);
    await dataFh?.close().catch(() => undefined);
    if (tmpModel !== null) await rm(tmpModel, { force: true }).catch(() => undefined);
    if (tmpData !== null) await rm(tmpData, { force: true }).catch(() => undefined);
    if (err instanceof VBLoRAError) throw err;
    throw writeErrorFor(path, err);
  }
}
