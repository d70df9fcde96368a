/**
 * A throwaway 127.0.0.1 server over one folder, in three manners by path prefix: `/range/<path>` honours `Range`
 * (206 with `Content-Range`), `/plain/<path>` ignores it (200, the whole file), `/short/<path>` answers a range with
 * its first half only (a file that ends early). Every request is recorded.
 */
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve, sep } from 'node:path';

/** A running server. */
export interface FolderServer {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** `<path> <Range header or "all">`, per request, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** Serves `root` until closed. */
export async function serveFolder(folder: string): Promise<FolderServer> {
  const root = resolve(folder);
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const [, manner, ...rest] = url.pathname.split('/');
    const path = resolve(root, ...rest.map(decodeURIComponent));
    const range = req.headers.range;
    requests.push(`/${rest.join('/')} ${range ?? 'all'}`);
    if (!path.startsWith(root + sep) || !statSync(path, { throwIfNoEntry: false })?.isFile()) {
      res.writeHead(404).end();
      return;
    }
    const bytes = readFileSync(path);
    const m = /^bytes=(\d+)-(\d+)$/.exec(range ?? '');
    if (manner === 'plain' || m === null) {
      res.writeHead(200, { 'content-length': bytes.length }).end(bytes);
      return;
    }
    const from = Number(m[1]);
    const to = Math.min(bytes.length - 1, Number(m[2]));
    if (from >= bytes.length) {
      res.writeHead(416, { 'content-range': `bytes */${bytes.length}` }).end();
      return;
    }
    const body = bytes.subarray(from, manner === 'short' ? from + Math.floor((to + 1 - from) / 2) : to + 1);
    res
      .writeHead(206, { 'content-range': `bytes ${from}-${to}/${bytes.length}`, 'content-length': body.length })
      .end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
