import { open, type FileHandle } from 'node:fs/promises';
import { readSafetensorsHeader, safetensorsHeaderSize } from '../checkpoint/safetensors-read.js';
import type { SafetensorsHeader, SafetensorsLayoutEntry } from '../checkpoint/safetensors-types.js';
import { CheckpointFormatError } from '../errors.js';
import { DTYPE_ARRAY, tensor, type HostTensor } from '../tensor/index.js';

/** A safetensors file opened for streaming: the validated header, and tensors read one at a time on demand. */
export interface SafetensorsFileReader {
  readonly path: string;
  readonly size: number;
  readonly header: SafetensorsHeader;
  /**
   * Reads one tensor's bytes into `into` (a buffer, or a byte view at an aligned offset, of at least its size) or
   * a fresh buffer; data is aligned.
   */
  readTensor(entry: SafetensorsLayoutEntry, into?: ArrayBufferLike | Uint8Array): Promise<HostTensor>;
  /** Closes the file. */
  close(): Promise<void>;
}

async function readExactly(fh: FileHandle, buf: Uint8Array, position: number, path: string): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) throw new CheckpointFormatError(`${path} ended early while reading`, 'file-length');
    done += bytesRead;
  }
}

/**
 * Opens a safetensors file without reading its tensor data: only the header is read and validated, so a file of
 * any size costs memory for one tensor at a time.
 */
export async function openSafetensorsFile(path: string): Promise<SafetensorsFileReader> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const lenBytes = new Uint8Array(8);
    await readExactly(fh, lenBytes, 0, path);
    const headerSize = safetensorsHeaderSize(lenBytes, size);
    const prefix = new Uint8Array(headerSize);
    await readExactly(fh, prefix, 0, path);
    const header = readSafetensorsHeader(prefix, size);
    return {
      path,
      size,
      header,
      async readTensor(entry, into) {
        const bytes = entry.end - entry.begin;
        const view = into instanceof Uint8Array ? into : undefined;
        const fits = into !== undefined && into.byteLength >= bytes;
        const buffer = fits ? (view?.buffer ?? (into as ArrayBufferLike)) : new ArrayBuffer(bytes);
        const offset = fits ? (view?.byteOffset ?? 0) : 0;
        await readExactly(fh, new Uint8Array(buffer, offset, bytes), header.dataStart + entry.begin, path);
        const Ctor = DTYPE_ARRAY[entry.dtype] as unknown as new (b: ArrayBufferLike, o: number, n: number) => HostTensor['data'];
        const n = bytes / DTYPE_ARRAY[entry.dtype].BYTES_PER_ELEMENT;
        return tensor(entry.dtype, entry.shape, new Ctor(buffer, offset, n));
      },
      close: () => fh.close(),
    };
  } catch (err) {
    await fh.close();
    throw err;
  }
}
