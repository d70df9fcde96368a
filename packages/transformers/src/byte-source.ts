/**
 * Random access to the bytes of a model file, so that the injection description can be read from the end of a
 * large `.onnx` file without holding all of it: in memory, or over HTTP with `Range` requests (a server that
 * ignores `Range` answers with the whole file, which is then used as it is).
 * @module
 */
import { checkMemoryBudget, DEFAULT_MAX_MEMORY_BYTES } from '@vblora/core';
import { ModelSessionError } from './errors.js';

/** Bytes that can be read at any offset. */
export interface ByteSource {
  /** Total length in bytes. */
  readonly size: number;
  /** `length` bytes from `offset` (fewer only at the end of the source). */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Releases what the source holds (a file handle). */
  close(): Promise<void>;
}

/** A source over bytes already in memory. */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: async (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)),
    close: async () => undefined,
  };
}

/** Window fetched per HTTP request: one request reads every field header near it. */
const CHUNK = 64 * 1024;

/** A `fetch`-like function (the global one by default). */
export type FetchLike = (input: string, init?: { headers?: Record<string, string> }) => Promise<Response>;

function totalFromContentRange(header: string | null): number | null {
  const m = /^bytes \d+-\d+\/(\d+)$/.exec(header ?? '');
  return m === null ? null : Number(m[1]);
}

/**
 * The body of an HTTP answer, at most `maxBytes` of it: a declared `Content-Length` is checked before anything is
 * read, and a body without one is counted as it streams (a server can send any size, whatever was asked).
 * @throws {ResourceLimitError} when the body is over `maxBytes`.
 * @internal
 */
export async function readBody(res: Response, maxBytes: number, what: string): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared)) checkMemoryBudget(declared, what, maxBytes);
  if (res.body === null) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      checkMemoryBudget(total, what, maxBytes);
      chunks.push(value);
    }
  } catch (err) {
    await reader.cancel().catch(() => undefined);
    throw err;
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * A source over a URL. The first request asks for the first 64 KiB; a `206` answer with a `Content-Range` total
 * makes every later read a `Range` request (64 KiB windows, the last one kept), any `200` answer is the whole file.
 * No answer over 64 KiB is held beyond `maxBytes` (default `DEFAULT_MAX_MEMORY_BYTES`, 4 GiB).
 * @throws {ModelSessionError} `model-file` when the server answers with an error status.
 * @throws {ResourceLimitError} when an answer is over `maxBytes`.
 */
export async function urlSource(
  url: string,
  fetchImpl: FetchLike = fetch,
  maxBytes: number = DEFAULT_MAX_MEMORY_BYTES,
): Promise<ByteSource> {
  // a 64 KiB window is the source's own constant cost; only larger answers (a whole file) count against the budget
  const body = (res: Response): Promise<Uint8Array> => readBody(res, Math.max(maxBytes, CHUNK), `reading ${url}`);
  const get = async (from: number, to: number): Promise<Response> => {
    const res = await fetchImpl(url, { headers: { Range: `bytes=${from}-${to - 1}` } });
    if (!res.ok)
      throw new ModelSessionError(`GET ${url} (bytes ${from}-${to - 1}) answered ${res.status}`, 'model-file');
    return res;
  };
  const first = await get(0, CHUNK);
  const size = first.status === 206 ? totalFromContentRange(first.headers.get('content-range')) : null;
  if (size === null) return bytesSource(await body(first));
  let window = { start: 0, bytes: await body(first) };
  return {
    size,
    async read(offset, length) {
      const end = Math.min(size, offset + length);
      if (offset >= window.start && end <= window.start + window.bytes.length) {
        return window.bytes.subarray(offset - window.start, end - window.start);
      }
      const to = Math.min(size, Math.max(end, offset + CHUNK));
      const res = await get(offset, to);
      const bytes = await body(res);
      if (res.status !== 206) {
        // the server stopped honouring Range: this is the whole file
        window = { start: 0, bytes };
        return bytes.subarray(offset, end);
      }
      window = { start: offset, bytes };
      return bytes.subarray(0, end - offset);
    },
    close: async () => undefined,
  };
}
