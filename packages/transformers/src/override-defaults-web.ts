/**
 * Base values of a hot-swap model's overridable tensors (trained biases, modules_to_save copies), read on any
 * platform without decoding the model: a walk of its protobuf fields (`ModelProto.graph` → `GraphProto.initializer`
 * → `TensorProto.name`) finds the named initializers, and only those are read. Tensors kept in an external data file
 * are fetched from beside a model given by URL, their bytes alone (`Range`). No Node built-in is used.
 * @module
 */
import { checkMemoryBudget, numel, tensor, toF32, type HostTensor } from '@vblora/core';
import type { InjectedOverride } from '@vblora/onnx/web';
import { bytesSource, type ByteSource, type FetchLike } from './byte-source.js';
import { ModelSessionError } from './errors.js';
import {
  decodeStringEntry,
  modelSpan,
  notOnnx,
  varint,
  walkFields,
  type FieldSpan,
  type ProtoField,
} from './proto-fields.js';

const GRAPH = 7; // ModelProto.graph
const INITIALIZER = 5; // GraphProto.initializer (TensorProto)
/** TensorProto fields read. */
const T = {
  dims: 1,
  dataType: 2,
  floatData: 4,
  int32Data: 5,
  name: 8,
  rawData: 9,
  externalData: 13,
  dataLocation: 14,
} as const;
/** TensorProto.DataType codes of the float types an override's base value may have. */
const DATA_TYPES: Readonly<Record<number, 'f32' | 'f16' | 'bf16'>> = { 1: 'f32', 10: 'f16', 16: 'bf16' };
const EXTERNAL = 1; // TensorProto.DataLocation.EXTERNAL
const EXTERNAL_KEYS = new Set(['location', 'offset', 'length']);
/** Dimensions of a tensor read at most (an override's shape has at most 8). */
const MAX_DIMS = 64;
/** Graph fields walked at most: a 7B model's graph has about 10^4 nodes and initializers. */
const MAX_GRAPH_FIELDS = 1_000_000;
/** Fields of one initializer walked at most while looking for its name (dims, type, name, data, a few entries). */
const MAX_TENSOR_FIELDS = 10_000;

/** Where the model is: its URL (external data lie beside it), or null for bytes. */
export interface WebModelRef {
  /** The model file's URL, or null when the model was given as bytes. */
  readonly url: string | null;
  /** Where the model is, for messages. */
  readonly label: string;
  /** Fetches external data (default: the global `fetch`). */
  readonly fetch?: FetchLike;
}

/** A tensor's `TensorProto`, read: what sizes it, and where its values are (typed fields are only counted). */
interface StoredTensor {
  /** The message's bytes. */
  bytes: Uint8Array;
  dims: number[];
  dataType: number;
  raw: Uint8Array;
  /** Values in `float_data` / `int32_data` (packed or not). */
  floatCount: number;
  int32Count: number;
  /** The `external_data` entries read (`location`, `offset`, `length`; the last of each). */
  external: Map<string, string>;
  dataLocation: number;
}

/**
 * Base values of `overrides`, by graph input, in each input's element type: float32 for `f32` inputs, float16 bits
 * for `f16` ones; fresh buffers, never views of the model's bytes.
 * @throws {ModelSessionError} `model-file` when an initializer is missing, malformed, or stored where it cannot be
 *   read from here.
 * @throws {ResourceLimitError} when an initializer, with those read before it, would be over `maxMemoryBytes`;
 *   checked before its bytes are read.
 * @internal
 */
export async function overrideDefaultsWeb(
  source: ByteSource,
  overrides: readonly InjectedOverride[],
  model: WebModelRef,
  maxMemoryBytes: number,
): Promise<Map<string, HostTensor>> {
  try {
    const found = await findInitializers(source, new Set(overrides.map((o) => o.default)));
    const out = new Map<string, HostTensor>();
    let held = 0;
    for (const o of overrides) {
      const init = found.get(o.default);
      if (init === undefined)
        throw new ModelSessionError(`the model lacks ${o.default}, the base value of ${o.key}`, 'model-file');
      const what = `${o.default}, the base value of ${o.key}`;
      const length = init.end - init.start;
      checkMemoryBudget(held + length, `reading ${what}`, maxMemoryBytes);
      const bytes = await source.read(init.start, length);
      if (bytes.length !== length) throw notOnnx(`initializer ${o.default} runs past the end of the file`);
      const t = await readValue(o, await parseTensor(bytes, what), model, what, (need) => {
        checkMemoryBudget(held + length + need, `reading ${what}`, maxMemoryBytes);
      });
      out.set(o.input, t);
      held += t.data.byteLength;
    }
    return out;
  } catch (err) {
    if (err instanceof ModelSessionError)
      throw new ModelSessionError(`${model.label}: ${err.message}`, err.rule, { cause: err });
    throw err;
  }
}

/** Where each initializer named in `names` is (its `TensorProto`; the last of a name, as decoders keep). */
async function findInitializers(source: ByteSource, names: ReadonlySet<string>): Promise<Map<string, ProtoField>> {
  const utf8 = new TextEncoder();
  const lengths = new Set([...names].map((n) => utf8.encode(n).length));
  const text = new TextDecoder();
  const found = new Map<string, ProtoField>();
  for await (const m of walkFields(source, modelSpan(source))) {
    if (m.field !== GRAPH || m.wire !== 2) continue;
    const graph = {
      from: m.start,
      to: m.end,
      maxFields: MAX_GRAPH_FIELDS,
      fields: 'graph fields',
      within: 'the graph',
    };
    for await (const g of walkFields(source, graph)) {
      if (g.field !== INITIALIZER || g.wire !== 2) continue;
      const span = {
        from: g.start,
        to: g.end,
        maxFields: MAX_TENSOR_FIELDS,
        fields: `fields in the initializer at byte ${g.at}`,
        within: 'its initializer',
      };
      let name: string | null = null;
      for await (const f of walkFields(source, span)) {
        if (f.field !== T.name || f.wire !== 2) continue;
        // only names as long as a wanted one are read
        name = lengths.has(f.end - f.start) ? text.decode(await source.read(f.start, f.end - f.start)) : null;
      }
      if (name !== null && names.has(name)) found.set(name, g);
    }
  }
  return found;
}

/** Reads the fields of a `TensorProto` held in memory; nothing sized by them is allocated. */
async function parseTensor(bytes: Uint8Array, what: string): Promise<StoredTensor> {
  const t: StoredTensor = {
    bytes,
    dims: [],
    dataType: 0,
    raw: new Uint8Array(0),
    floatCount: 0,
    int32Count: 0,
    external: new Map(),
    dataLocation: 0,
  };
  for await (const f of walkFields(bytesSource(bytes), tensorSpan(bytes, what))) {
    const body = bytes.subarray(f.start, f.end);
    if (f.field === T.dims && (f.wire === 0 || f.wire === 2)) {
      if (t.dims.length + varintCount(body, what) > MAX_DIMS)
        throw notOnnx(`${what} has more than ${MAX_DIMS} dimensions`);
      readVarints(body, (v) => t.dims.push(v));
    } else if (f.field === T.dataType && f.wire === 0) {
      t.dataType = f.value;
    } else if (f.field === T.floatData && (f.wire === 2 || f.wire === 5)) {
      if (body.length % 4 !== 0) throw notOnnx(`${what}: float_data of ${body.length} bytes`);
      t.floatCount += body.length / 4;
    } else if (f.field === T.int32Data && (f.wire === 0 || f.wire === 2)) {
      t.int32Count += varintCount(body, what);
    } else if (f.field === T.rawData && f.wire === 2) {
      t.raw = body;
    } else if (f.field === T.externalData && f.wire === 2) {
      const e = decodeStringEntry(body, `an external_data entry of ${what}`);
      if (EXTERNAL_KEYS.has(e.key)) t.external.set(e.key, e.value);
    } else if (f.field === T.dataLocation && f.wire === 0) {
      t.dataLocation = f.value;
    }
  }
  return t;
}

const tensorSpan = (bytes: Uint8Array, what: string): FieldSpan => ({
  from: 0,
  to: bytes.length,
  maxFields: bytes.length,
  fields: `fields in ${what}`,
  within: what,
});

/** Varints in `b` (a packed run, or one value): those ending in it, once it is checked to end with one. */
function varintCount(b: Uint8Array, what: string): number {
  if (b.length > 0 && b[b.length - 1]! >= 0x80) throw notOnnx(`${what}: a truncated packed varint`);
  let n = 0;
  for (const byte of b) if (byte < 0x80) n++;
  return n;
}

/** Each varint of `b` (checked by {@link varintCount}), exact up to 2^53. */
function readVarints(b: Uint8Array, each: (v: number) => void): void {
  for (let at = 0; at < b.length;) {
    const v = varint(b, at, true)!;
    each(v.value);
    at += v.used;
  }
}

/** The typed-field values of `t` (`float_data` as float32 bytes, or `int32_data` as 16-bit patterns), into `out`. */
async function fillTyped(t: StoredTensor, out: Uint8Array | Uint16Array, what: string): Promise<void> {
  let at = 0;
  for await (const f of walkFields(bytesSource(t.bytes), tensorSpan(t.bytes, what))) {
    const body = t.bytes.subarray(f.start, f.end);
    if (out instanceof Uint8Array && f.field === T.floatData && (f.wire === 2 || f.wire === 5)) {
      out.set(body, at);
      at += body.length;
    } else if (out instanceof Uint16Array && f.field === T.int32Data && (f.wire === 0 || f.wire === 2)) {
      readVarints(body, (v) => (out[at++] = v % 65536));
    }
  }
}

/** The value of one override from its stored tensor; `reserve(bytes)` checks the budget before they are allocated. */
async function readValue(
  o: InjectedOverride,
  t: StoredTensor,
  model: WebModelRef,
  what: string,
  reserve: (bytes: number) => void,
): Promise<HostTensor> {
  const dtype = DATA_TYPES[t.dataType];
  if (dtype === undefined)
    throw new ModelSessionError(`${what} has ONNX data type ${t.dataType}, not a float type`, 'model-file');
  if (o.dtype === 'f16' && dtype !== 'f16')
    throw new ModelSessionError(`${what} is ${dtype}, but input ${o.input} takes f16`, 'model-file');
  if (t.dims.some((d) => !Number.isSafeInteger(d) || d < 0) || !Number.isSafeInteger(numel(t.dims) * 4)) {
    throw new ModelSessionError(`${what}: shape [${t.dims.join(', ')}] is not a valid tensor size`, 'model-file');
  }
  const n = numel(t.dims);
  const width = dtype === 'f32' ? 4 : 2;
  const nbytes = n * width;
  reserve(nbytes + (dtype === o.dtype ? 0 : n * 4)); // the stored values, and their float32 form when converted
  let stored: Uint8Array;
  if (t.dataLocation === EXTERNAL) {
    stored = await readExternal(t.external, nbytes, model, what);
  } else if (t.raw.length > 0 || nbytes === 0) {
    if (t.raw.length !== nbytes) {
      throw new ModelSessionError(
        `${what}: raw_data has ${t.raw.length} bytes, shape [${t.dims.join(', ')}] of ${dtype} needs ${nbytes}`,
        'model-file',
      );
    }
    stored = t.raw.slice();
  } else if (dtype === 'f32') {
    if (t.floatCount !== n)
      throw new ModelSessionError(`${what}: float_data has ${t.floatCount} values, its shape needs ${n}`, 'model-file');
    stored = new Uint8Array(nbytes);
    await fillTyped(t, stored, what);
  } else {
    // 16-bit floats as their bit patterns in int32_data
    if (t.int32Count !== n)
      throw new ModelSessionError(`${what}: int32_data has ${t.int32Count} values, its shape needs ${n}`, 'model-file');
    const bits = new Uint16Array(n);
    await fillTyped(t, bits, what);
    stored = new Uint8Array(bits.buffer);
  }
  // `stored` is a fresh buffer at offset 0: aligned for any view
  const value =
    dtype === 'f32'
      ? tensor('f32', t.dims, new Float32Array(stored.buffer, 0, n))
      : tensor(dtype, t.dims, new Uint16Array(stored.buffer, 0, n));
  return o.dtype === 'f32' ? toF32(value) : value;
}

/** The URL of an external data file beside the model; only plain relative paths inside its folder are taken. */
function externalUrl(location: string, modelUrl: string, what: string): string {
  const parts = location.split('/');
  if (/^[a-z][a-z0-9+.-]*:/i.test(location) || location.includes('\\') || parts.some((p) => p === '' || p === '..')) {
    throw new ModelSessionError(
      `${what} is stored in external data file ${JSON.stringify(location)}: only a relative path inside the model's folder ` +
        '(no scheme, no leading /, no .. segment) is fetched',
      'model-file',
    );
  }
  return new URL(parts.map(encodeURIComponent).join('/'), modelUrl).href;
}

/** The `nbytes` bytes of an external tensor, fetched from beside the model. */
async function readExternal(
  e: ReadonlyMap<string, string>,
  nbytes: number,
  model: WebModelRef,
  what: string,
): Promise<Uint8Array> {
  const location = e.get('location') ?? '';
  if (location === '')
    throw new ModelSessionError(`${what} is stored externally but has no "location" entry`, 'model-file');
  const num = (key: string): number | null => {
    const v = e.get(key);
    if (v === undefined) return null;
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
      throw new ModelSessionError(
        `${what}: external data "${key}" is ${JSON.stringify(v)}, not a byte count`,
        'model-file',
      );
    }
    return Number(v);
  };
  const offset = num('offset') ?? 0;
  const length = num('length');
  if (length !== null && length !== nbytes) {
    throw new ModelSessionError(
      `${what}: external data length ${length} does not match its shape and type (${nbytes} bytes)`,
      'model-file',
    );
  }
  if (model.url === null) {
    throw new ModelSessionError(
      `${what} is stored in external data file ${JSON.stringify(location)}, which a model given as bytes cannot reach: ` +
        'pass the model folder URL (`folder`) or the file URL (`modelFile`) instead',
      'model-file',
    );
  }
  const url = externalUrl(location, model.url, what);
  if (nbytes === 0) return new Uint8Array(0);
  const range = `bytes ${offset}-${offset + nbytes - 1}`;
  const res = await (model.fetch ?? fetch)(url, { headers: { Range: `bytes=${offset}-${offset + nbytes - 1}` } });
  const refuse = async (why: string): Promise<never> => {
    await res.body?.cancel();
    throw new ModelSessionError(`${what}: GET ${url} (${range}) ${why}`, 'model-file');
  };
  if (!res.ok) await refuse(`answered ${res.status}`);
  let skip = offset; // a 200 answer is the whole file
  if (res.status === 206) {
    // the answer to one range starts where asked; Content-Range must say so where the page may see it (CORS)
    const said = res.headers.get('content-range');
    if (said !== null && Number(/^bytes (\d+)-/.exec(said)?.[1] ?? -1) !== offset) await refuse(`answered ${said}`);
    skip = 0;
  }
  const short = `external data file ${location} ends before byte ${offset + nbytes}`;
  const declared = res.headers.get('content-length');
  const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity'; // then the length is not the file's
  if (declared !== null && !encoded && Number(declared) < skip + nbytes)
    await refuse(`answered ${declared} bytes: ${short}`);
  const out = new Uint8Array(nbytes); // budget-checked by the caller; filled as the body streams in
  if ((await readInto(res, skip, out)) !== nbytes) throw new ModelSessionError(`${what}: ${short}`, 'model-file');
  return out;
}

/** Copies the body bytes from `skip` on into `out`, streaming (the rest is never held); returns how many came. */
async function readInto(res: Response, skip: number, out: Uint8Array): Promise<number> {
  if (res.body === null) return 0;
  const reader = res.body.getReader();
  let pos = 0;
  let filled = 0;
  try {
    while (filled < out.length) {
      const { done, value } = await reader.read();
      if (done) break;
      const from = Math.max(skip, pos);
      const to = Math.min(skip + out.length, pos + value.length);
      if (to > from) {
        out.set(value.subarray(from - pos, to - pos), from - skip);
        filled = to - skip;
      }
      pos += value.length;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return filled;
}
