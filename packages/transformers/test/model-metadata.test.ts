/**
 * Reading `metadata_props` by walking a model's top-level protobuf fields: the entries onnx-proto decodes, in
 * order, whatever the fields around them; over HTTP with Range requests only the windows that hold field headers
 * are fetched. Accuracy: exact strings.
 */
import { encodeOnnxModel, type onnx } from '@vblora/onnx';
import { describe, expect, it } from 'vitest';
import { bytesSource, ModelSessionError, readModelMetadata, urlSource, type FetchLike } from '../src/index.js';

/** A model with a 1 MiB initializer between its header fields and its metadata, as exporters write it. */
function modelBytes(metadata: onnx.IStringStringEntryProto[], weightBytes = 1 << 20): Uint8Array {
  return encodeOnnxModel({
    irVersion: 8,
    producerName: 'test',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'g',
      initializer: [{ name: 'w', dims: [weightBytes / 4], dataType: 1, rawData: new Uint8Array(weightBytes).fill(7) }],
      input: [{ name: 'x' }],
      output: [{ name: 'w' }],
    },
    metadataProps: metadata,
  });
}

const ENTRIES = [
  { key: 'a', value: 'first' },
  { key: 'vblora.injection', value: JSON.stringify({ format: 'vblora-inject/1', text: 'ünïcödé ✓' }) },
  { key: 'empty', value: '' },
];

/** A fetch over `bytes` that honours Range (or not) and records each request. */
function rangeServer(
  bytes: Uint8Array,
  honourRange: boolean,
): { fetch: FetchLike; requests: string[]; sent: () => number } {
  const requests: string[] = [];
  let sent = 0;
  const fetchImpl: FetchLike = async (_url, init) => {
    const range = init?.headers?.['Range'];
    requests.push(range ?? 'all');
    const m = /^bytes=(\d+)-(\d+)$/.exec(range ?? '');
    if (!honourRange || m === null) {
      sent += bytes.length;
      return new Response(bytes.slice(), { status: 200 });
    }
    const from = Number(m[1]);
    const to = Math.min(bytes.length - 1, Number(m[2]));
    sent += to - from + 1;
    return new Response(bytes.slice(from, to + 1), {
      status: 206,
      headers: { 'content-range': `bytes ${from}-${to}/${bytes.length}` },
    });
  };
  return { fetch: fetchImpl, requests, sent: () => sent };
}

describe('readModelMetadata', () => {
  it('returns every metadata entry in file order, skipping the graph', async () => {
    expect(await readModelMetadata(bytesSource(modelBytes(ENTRIES)))).toEqual(ENTRIES);
    expect(await readModelMetadata(bytesSource(modelBytes([])))).toEqual([]);
  });

  it('over HTTP reads only the header windows of a large file (Range requests)', async () => {
    const bytes = modelBytes(ENTRIES, 4 << 20);
    const server = rangeServer(bytes, true);
    expect(await readModelMetadata(await urlSource('http://x/model.onnx', server.fetch))).toEqual(ENTRIES);
    expect(server.requests.every((r) => r.startsWith('bytes='))).toBe(true);
    expect(server.sent()).toBeLessThan(bytes.length / 8); // 2–3 windows of 64 KiB out of 4 MiB
  });

  it('over HTTP takes the whole answer when the server ignores Range', async () => {
    const server = rangeServer(modelBytes(ENTRIES), false);
    expect(await readModelMetadata(await urlSource('http://x/model.onnx', server.fetch))).toEqual(ENTRIES);
    expect(server.requests).toHaveLength(1);
  });

  it('refuses truncated or non-protobuf bytes with ModelSessionError model-file', async () => {
    const bytes = modelBytes(ENTRIES);
    for (const bad of [
      bytes.subarray(0, bytes.length - 5),
      new TextEncoder().encode('<html>not a model</html>'),
      Uint8Array.of(0x80),
    ]) {
      const err = await readModelMetadata(bytesSource(bad)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelSessionError);
      expect((err as ModelSessionError).rule).toBe('model-file');
    }
  });

  it('a server error is a ModelSessionError naming the URL', async () => {
    const fetch404: FetchLike = async () => new Response('no', { status: 404 });
    await expect(urlSource('http://x/missing.onnx', fetch404)).rejects.toThrow(/missing\.onnx.*404/);
  });
});
