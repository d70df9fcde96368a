import { checkMemoryBudget } from '../accounting/memory-budget.js';
import { readSafetensorsHeader, safetensorsHeaderSize } from '../checkpoint/safetensors-read.js';
import type { SafetensorsHeader, SafetensorsLayoutEntry } from '../checkpoint/safetensors-types.js';
import { ShapeError } from '../errors.js';
import { DTYPE_ARRAY, DTYPE_BYTES, tensor, type HostTensor } from '../tensor/index.js';
import { openRegularFile, readExactly } from './read-bounded.js';

/** A safetensors file opened for streaming: the validated header, and tensors read one at a time on demand. */
export interface SafetensorsFileReader {
  readonly path: string;
  readonly size: number;
  readonly header: SafetensorsHeader;
  /**
   * Reads one tensor's bytes into `into` (a buffer, or a byte view at an offset aligned to the element size, of
   * at least its size) or, without `into`, a fresh buffer.
   * @throws {ShapeError} when `into` is too small or misaligned.
   */
  readTensor(entry: SafetensorsLayoutEntry, into?: ArrayBufferLike | Uint8Array): Promise<HostTensor>;
  /** Closes the file. */
  close(): Promise<void>;
}

/** Options of {@link openSafetensorsFile}. */
export interface OpenSafetensorsFileOptions {
  /** Memory budget for the header, which the file sizes (default `DEFAULT_MAX_MEMORY_BYTES`). */
  readonly maxMemoryBytes?: number;
}

/**
 * Opens a safetensors file without reading its tensor data: only the header is read and validated, so a file of
 * any size costs memory for one tensor at a time. The file must be a regular file (a FIFO or a device is refused
 * at once, never waited on), and its header must fit the memory budget.
 * @throws {AdapterError} when it cannot be opened or is not a regular file; CheckpointFormatError for a bad
 * header; ResourceLimitError past a cap.
 */
export async function openSafetensorsFile(
  path: string,
  options: OpenSafetensorsFileOptions = {},
): Promise<SafetensorsFileReader> {
  const { fh, size } = await openRegularFile(path);
  try {
    const lenBytes = new Uint8Array(8);
    await readExactly(fh, lenBytes, 0, path);
    const headerSize = safetensorsHeaderSize(lenBytes, size);
    checkMemoryBudget(headerSize, `the safetensors header of ${path}`, options.maxMemoryBytes);
    const prefix = new Uint8Array(headerSize);
    await readExactly(fh, prefix, 0, path);
    const header = readSafetensorsHeader(prefix, size);
    return {
      path,
      size,
      header,
      async readTensor(entry, into) {
        const bytes = entry.end - entry.begin;
        const width = DTYPE_BYTES[entry.dtype];
        const view = into instanceof Uint8Array ? into : undefined;
        const buffer = into === undefined ? new ArrayBuffer(bytes) : (view?.buffer ?? (into as ArrayBufferLike));
        const offset = view?.byteOffset ?? 0;
        if ((view?.byteLength ?? buffer.byteLength) < bytes || offset % width !== 0) {
          throw new ShapeError(
            `${path}: ${entry.name} (${bytes} bytes) does not fit the buffer it is read into`,
            entry.name,
          );
        }
        await readExactly(fh, new Uint8Array(buffer, offset, bytes), header.dataStart + entry.begin, path);
        const Ctor = DTYPE_ARRAY[entry.dtype] as unknown as new (
          b: ArrayBufferLike,
          o: number,
          n: number,
        ) => HostTensor['data'];
        return tensor(entry.dtype, entry.shape, new Ctor(buffer, offset, bytes / width));
      },
      close: () => fh.close(),
    };
  } catch (err) {
    await fh.close();
    throw err;
  }
}
