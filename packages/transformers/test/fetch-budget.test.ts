/**
 * What a server answers is never held beyond the memory budget: a model file served whole (no Range support) or a
 * body larger than asked, and the two files of a fetched adapter folder. Declared lengths are refused before the
 * body is read; bodies without one are refused while they stream.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceLimitError } from '@vblora/core';
import { fetchAdapterFiles, urlSource } from '../src/index.js';

const BIG = 1 << 20; // 1 MiB bodies, 64 KiB budgets

describe('fetched bytes stay within the budget', () => {
  let server: Server;
  let origin = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      const body = new Uint8Array(BIG).fill(7);
      if (req.url?.startsWith('/declared/')) {
        res.writeHead(200, { 'content-length': body.length }).end(body); // ignores Range
      } else if (req.url?.startsWith('/chunked/')) {
        res.writeHead(200); // no Content-Length: streamed
        for (let at = 0; at < body.length; at += 16384) res.write(body.subarray(at, at + 16384));
        res.end();
      } else if (req.url?.startsWith('/lying/')) {
        // a 206 that claims a small file but sends a large body without a length
        res.writeHead(206, { 'content-range': `bytes 0-65535/70000` });
        res.end(body);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  for (const manner of ['declared', 'chunked', 'lying']) {
    it(`urlSource: a ${manner} body over the budget is a ResourceLimitError`, async () => {
      await expect(urlSource(`${origin}/${manner}/model.onnx`, fetch, 64 * 1024)).rejects.toBeInstanceOf(
        ResourceLimitError,
      );
    });
  }

  it('urlSource: within the budget the whole answer is the file', async () => {
    const source = await urlSource(`${origin}/chunked/model.onnx`, fetch, 2 * BIG);
    expect(source.size).toBe(BIG);
    expect(Array.from(await source.read(BIG - 2, 4))).toEqual([7, 7]);
  });

  for (const manner of ['declared', 'chunked']) {
    it(`fetchAdapterFiles: a ${manner} file over the budget is a ResourceLimitError`, async () => {
      await expect(fetchAdapterFiles(`${origin}/${manner}/adapter/`, fetch, 64 * 1024)).rejects.toBeInstanceOf(
        ResourceLimitError,
      );
    });
  }
});
