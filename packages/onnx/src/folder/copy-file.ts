/**
 * Byte-for-byte copies of a model folder's config and tokenizer files, streamed in chunks (a `tokenizer.json` can be
 * tens of MB) to a temporary file that is flushed and renamed into place.
 * @module
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { openRegularFile, tempPathFor, writeErrorFor } from '@vblora/core/node';
import { VBLoRAError } from '@vblora/core';
import { OnnxModelError } from '../errors.js';

const CHUNK = 4 * 2 ** 20;

/**
 * Copies the regular file `from` (opened without blocking: a FIFO or device put in its place is refused) to `to`.
 * @throws {OnnxModelError} `file` when `from` is not a regular file or cannot be read.
 * @throws {WriteError} when `to` cannot be written.
 */
export async function copyRegularFile(from: string, to: string): Promise<number> {
  const src = await openRegularFile(from).catch((cause: unknown) => {
    throw new OnnxModelError(cause instanceof VBLoRAError ? cause.message : String(cause), 'file', from, { cause });
  });
  const tmp = tempPathFor(to);
  let out: FileHandle | undefined;
  try {
    const fh = await open(tmp, 'wx', 0o644).catch((e: unknown) => Promise.reject(writeErrorFor(to, e)));
    out = fh;
    const buf = new Uint8Array(Math.min(CHUNK, Math.max(src.size, 1)));
    let position = 0;
    for (;;) {
      const { bytesRead } = await src.fh.read(buf, 0, buf.length, position).catch((cause: unknown) => {
        throw new OnnxModelError(`cannot read ${from}: ${(cause as Error).message}`, 'file', from, { cause });
      });
      if (bytesRead === 0) break;
      let written = 0;
      while (written < bytesRead) {
        const r = await fh
          .write(buf, written, bytesRead - written, position + written)
          .catch((e: unknown) => Promise.reject(writeErrorFor(to, e)));
        written += r.bytesWritten;
      }
      position += bytesRead;
    }
    if (position !== src.size)
      throw new OnnxModelError(`${from} changed size while being copied; refusing it`, 'file', from);
    await fh.sync().catch((e: unknown) => Promise.reject(writeErrorFor(to, e)));
    await fh.close();
    out = undefined;
    await rename(tmp, to).catch((e: unknown) => Promise.reject(writeErrorFor(to, e)));
    return position;
  } catch (err) {
    await out?.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  } finally {
    await src.fh.close();
  }
}
