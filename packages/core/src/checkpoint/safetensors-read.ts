/**
 * Reading a whole safetensors file held in memory.
 *
 * Hand-written because no maintained npm library reads and writes local safetensors files; the format facts
 * come from huggingface/safetensors (`safetensors/src/tensor.rs`) and PEFT's golden files.
 *
 * Tensor data is a view into the input bytes (no copy) whenever the tensor's absolute byte offset is a multiple
 * of its element size, which holds for every file the Rust writer produces once it sits at an 8-aligned address.
 * Otherwise, and when `copy: true` is asked for, the bytes are copied into a fresh, aligned array. Views share
 * memory with the input: writing to one changes the other.
 * @module
 */
import { ConfigError } from '../errors.js';
import { DTYPE_ARRAY, DTYPE_BYTES, type HostTensor, type TensorData } from '../tensor/index.js';
import { assertLittleEndianHost } from './safetensors-endian.js';
import { readSafetensorsHeader, type ReadSafetensorsHeaderOptions } from './safetensors-read-header.js';
import type { SafetensorsFile, SafetensorsLayoutEntry } from './safetensors-types.js';

export { readSafetensorsHeader, safetensorsHeaderSize } from './safetensors-read-header.js';
export type { ReadSafetensorsHeaderOptions } from './safetensors-read-header.js';
export type {
  SafetensorsFile,
  SafetensorsHeader,
  SafetensorsLayoutEntry,
  SafetensorsMetadata,
} from './safetensors-types.js';

/** Options of {@link readSafetensors}: the reader's caps plus whether to copy tensor data. */
export interface ReadSafetensorsOptions extends ReadSafetensorsHeaderOptions {
  /** Copy every tensor into its own buffer instead of viewing the input bytes (default false). */
  readonly copy?: boolean;
}

interface TypedArrayCtor {
  new (length: number): TensorData;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TensorData;
}

/**
 * Parses and validates a safetensors file; tensors come back in data order.
 * Throws `CheckpointFormatError` (with a stable `rule` and the tensor name), `ResourceLimitError` or
 * `UnsupportedError` for a bad file, `ConfigError` for bad options; never anything else.
 * @example
 * ```ts
 * const { metadata, tensors } = readSafetensors(await fs.readFile('adapter_model.safetensors'));
 * const bank = tensors.get('base_model.vblora_vector_bank');
 * ```
 */
export function readSafetensors(bytes: Uint8Array, options: ReadSafetensorsOptions = {}): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) {
    throw new ConfigError('readSafetensors expects the file as a Uint8Array', 'bytes');
  }
  assertLittleEndianHost('readSafetensors');
  const { copy = false, ...limits } = options;
  const header = readSafetensorsHeader(bytes, bytes.length, limits);
  const tensors = new Map<string, HostTensor>();
  for (const e of header.entries) {
    const t: HostTensor = { dtype: e.dtype, shape: e.shape, data: tensorData(bytes, header.dataStart, e, copy) };
    tensors.set(e.name, t);
  }
  return { metadata: header.metadata, tensors };
}

function tensorData(bytes: Uint8Array, dataStart: number, e: SafetensorsLayoutEntry, copy: boolean): TensorData {
  const Ctor = DTYPE_ARRAY[e.dtype] as unknown as TypedArrayCtor;
  const width = DTYPE_BYTES[e.dtype];
  const length = (e.end - e.begin) / width;
  const at = bytes.byteOffset + dataStart + e.begin;
  // Typed arrays cannot start at an offset that is not a multiple of their element size.
  if (!copy && at % width === 0) return new Ctor(bytes.buffer, at, length);
  const out = new Ctor(length);
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(
    bytes.subarray(dataStart + e.begin, dataStart + e.end),
  );
  return out;
}
