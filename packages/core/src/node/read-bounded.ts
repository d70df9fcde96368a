import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { AdapterError, CheckpointFormatError, ResourceLimitError } from '../errors.js';

/** Largest file `readFile` can return whole in Node (2 GiB − 1); larger adapters need a streaming reader. */
export const MAX_WHOLE_FILE_BYTES = 2 ** 31 - 1;

/**
 * Opens a file that a stranger named, for reading. Why not a plain `open`: a FIFO in its place blocks forever
 * (even `open` does), and a device such as `/dev/zero` never ends. Here the file is opened without blocking and
 * must be a regular file; the returned handle's `stat` is that of the file opened (no check-then-open race).
 * @throws {AdapterError} when it cannot be opened or is not a regular file.
 */
export async function openRegularFile(path: string): Promise<{ fh: FileHandle; size: number }> {
  const fh = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)).catch((cause: unknown) => {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'error';
    throw new AdapterError(
      `cannot open ${path} (${code}): ${(cause as Error | undefined)?.message ?? String(cause)}`,
      undefined,
      { cause },
    );
  });
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      throw new AdapterError(
        `${path} is not a regular file (a FIFO, device, socket or directory); refusing to read it`,
      );
    }
    return { fh, size: st.size };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/**
 * Reads a whole file that a stranger named (see {@link openRegularFile}); its size is checked against
 * `maxBytes` before anything is allocated, so a file past 2 GiB gives a typed error, not Node's RangeError.
 * @throws {AdapterError} when the path is not a regular file; {@link ResourceLimitError} when it is too large.
 */
export async function readBoundedFile(path: string, maxBytes: number, limit: string): Promise<Uint8Array> {
  const { fh, size } = await openRegularFile(path);
  try {
    if (size > maxBytes) {
      throw new ResourceLimitError(
        `${path} has ${size} bytes, more than the ${maxBytes} this reader accepts (${limit})`,
        limit,
      );
    }
    const data = await fh.readFile();
    // The size was checked on the open file; a file that grew since is refused rather than trusted.
    if (data.byteLength > maxBytes) {
      throw new ResourceLimitError(`${path} grew past ${maxBytes} bytes while being read (${limit})`, limit);
    }
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } finally {
    await fh.close();
  }
}

/**
 * Fills `buf` from `position` of an open file; a file that ends first (it shrank, or lied about its size) is a
 * {@link CheckpointFormatError} (`file-length`), a read failure an {@link AdapterError} naming the path.
 */
export async function readExactly(fh: FileHandle, buf: Uint8Array, position: number, path: string): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done).catch((cause: unknown) => {
      const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'error';
      throw new AdapterError(`cannot read ${path} (${code}): ${(cause as Error).message}`, undefined, { cause });
    });
    if (bytesRead === 0) throw new CheckpointFormatError(`${path} ended early while reading`, 'file-length');
    done += bytesRead;
  }
}
