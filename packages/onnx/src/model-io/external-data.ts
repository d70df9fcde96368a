/**
 * External data files (Node): reading a tensor's byte range from a side file, with paths confined to the model's
 * folder. Parsing the references is `external-ref.ts`.
 * @module
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { checkMemoryBudget, DEFAULT_MAX_MEMORY_BYTES, PathError } from '@vblora/core';
import { resolveInside } from '@vblora/core/node';
import { OnnxModelError } from '../errors.js';
import { noFolderError, type ExternalDataReader, type ExternalDataRef } from './external-ref.js';

export { externalDataRef, type ExternalDataRef } from './external-ref.js';

/** The reader `readOnnxModel` gives a model: external files inside `baseDir`, opened and checked as below. */
export function fileExternalReader(baseDir: string): ExternalDataReader {
  return (ref, nbytes, tensor, budget) => readExternalBytes(baseDir, ref, nbytes, tensor, budget);
}

/**
 * Real path of an external data file. Locations must be relative and stay inside the model's folder once every
 * symbolic link is followed (the folder's, each folder's between, the file's own), as in onnx's fix for
 * CVE-2024-27318: otherwise a link shipped in a model folder (to `/`, or to one outside file) would pull any
 * readable file into what a merge writes. A link that stays inside the folder is fine.
 * @throws {OnnxModelError} `external-data` (caused by core's `PathError` when a path or link leads out).
 */
export async function resolveExternalPath(baseDir: string | null, location: string, tensor: string): Promise<string> {
  if (baseDir === null) throw noFolderError(location, tensor);
  try {
    return await resolveInside(baseDir, location, `tensor ${tensor}: external data`);
  } catch (err) {
    const why =
      err instanceof PathError
        ? err.message
        : `cannot resolve ${JSON.stringify(location)} in ${baseDir}: ${String(err)}`;
    throw new OnnxModelError(
      `${why} (a model may only read files inside the model's folder)`,
      'external-data',
      tensor,
      { cause: err },
    );
  }
}

/** Reads `nbytes` bytes of an external tensor into a fresh, aligned buffer. @throws {OnnxModelError} when the file is short. */
export async function readExternalBytes(
  baseDir: string | null,
  ref: ExternalDataRef,
  nbytes: number,
  tensor: string,
  budget: number = DEFAULT_MAX_MEMORY_BYTES,
): Promise<Uint8Array> {
  if (ref.length !== null && ref.length !== nbytes) {
    throw new OnnxModelError(
      `tensor ${tensor}: external data length ${ref.length} does not match its shape and type (${nbytes} bytes)`,
      'external-data',
      tensor,
    );
  }
  const fh = await openExternal(baseDir, ref, nbytes, tensor);
  try {
    // allocated only once the file is known to hold the declared bytes, and the budget allows them
    checkMemoryBudget(nbytes, `reading tensor ${tensor}`, budget);
    const out = new Uint8Array(new ArrayBuffer(nbytes));
    let done = 0;
    while (done < nbytes) {
      const { bytesRead } = await fh.read(out, done, nbytes - done, ref.offset + done);
      if (bytesRead === 0) {
        throw new OnnxModelError(
          `tensor ${tensor}: external data file ${ref.location} ends before byte ${ref.offset + nbytes}`,
          'external-data',
          tensor,
        );
      }
      done += bytesRead;
    }
    return out;
  } finally {
    await fh.close();
  }
}

/**
 * Opens the external data file of a tensor, checking that it is a regular file holding `nbytes` bytes at the
 * tensor's offset, so that no buffer of a declared size is allocated before the data are known to exist.
 * @throws {OnnxModelError} when the file is missing, not a regular file, or too short.
 */
export async function openExternal(
  baseDir: string | null,
  ref: ExternalDataRef,
  nbytes: number,
  tensor: string,
): Promise<FileHandle> {
  const path = await resolveExternalPath(baseDir, ref.location, tensor);
  let fh: FileHandle;
  try {
    // non-blocking, so that a FIFO cannot hang the open; the path is real, so a link in its place now is a swap
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOFOLLOW ?? 0));
  } catch (err) {
    throw new OnnxModelError(`tensor ${tensor}: cannot open external data file ${path}`, 'external-data', tensor, {
      cause: err,
    });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      throw new OnnxModelError(
        `tensor ${tensor}: external data ${ref.location} is not a regular file`,
        'external-data',
        tensor,
      );
    }
    if (ref.offset + nbytes > st.size) {
      throw new OnnxModelError(
        `tensor ${tensor}: external data file ${ref.location} ends before byte ${ref.offset + nbytes} (it has ${st.size})`,
        'external-data',
        tensor,
      );
    }
    return fh;
  } catch (err) {
    await fh.close();
    throw err;
  }
}
