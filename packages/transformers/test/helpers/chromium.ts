/**
 * Headless Chromium (Debian's, never a downloaded one) on a page served from a throwaway 127.0.0.1 server:
 * `/` loads `/bundle.js`, `/ort/*` is onnxruntime-web's dist folder (its .wasm and loaders), `/models/<name>/*` are
 * model folders, with HTTP Range support (the adapter controller reads a model file's metadata with Range requests).
 */
import { createReadStream, existsSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, sep } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** The system Chromium. */
export const CHROMIUM = '/usr/bin/chromium';

/** Flags from docs (TOOLCHAIN.md): `--enable-unsafe-webgpu` matters; the rest keep a headless run quiet and offline. */
const FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** onnxruntime-web's dist folder, as transformers.js resolves the package. */
export function ortWebDist(): string {
  const require = createRequire(import.meta.resolve('@huggingface/transformers'));
  return dirname(require.resolve('onnxruntime-web'));
}

const TYPES: Record<string, string> = {
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.html': 'text/html',
};

/** A page and how to close everything. */
export interface PageSession {
  readonly page: Page;
  /** Requests the server answered, as `METHOD path [range]` (to check what the page fetched). */
  readonly requests: readonly string[];
  /** Every URL the page requested, wherever it pointed (to check that nothing left 127.0.0.1). */
  readonly pageUrls: readonly string[];
  /** The page's origin, `http://127.0.0.1:<port>`. */
  readonly origin: string;
  close(): Promise<void>;
}

/** Starts the server and the browser and opens the page. */
export async function openPage(bundle: string, folders: Readonly<Record<string, string>>): Promise<PageSession> {
  const roots = new Map<string, string>([
    ['ort', ortWebDist()],
    ...Object.entries(folders).map(([k, v]) => [`models/${k}`, v] as [string, string]),
  ]);
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    const range = req.headers.range;
    requests.push(`${req.method ?? 'GET'} ${url}${range === undefined ? '' : ` ${range}`}`);
    if (url === '/') {
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><html><body><script type="module" src="/bundle.js"></script></body></html>');
      return;
    }
    if (url === '/bundle.js') {
      res.setHeader('content-type', 'text/javascript');
      res.end(bundle);
      return;
    }
    const root = [...roots.entries()].find(([prefix]) => url.startsWith(`/${prefix}/`));
    if (root === undefined || url.split('/').includes('..')) {
      res.statusCode = 404;
      res.end();
      return;
    }
    const file = join(root[1], url.slice(root[0].length + 2));
    const real = existsSync(file) ? realpathSync(file) : '';
    if (real === '' || !real.startsWith(realpathSync(root[1]) + sep) || !statSync(real).isFile()) {
      res.statusCode = 404;
      res.end();
      return;
    }
    const size = statSync(real).size;
    res.setHeader('content-type', TYPES[extname(real)] ?? 'application/octet-stream');
    res.setHeader('accept-ranges', 'bytes');
    const m = /^bytes=(\d+)-(\d*)$/.exec(range ?? '');
    if (m !== null) {
      const from = Number(m[1]);
      const to = Math.min(size - 1, m[2] === '' ? size - 1 : Number(m[2]));
      if (from >= size || to < from) {
        res.statusCode = 416;
        res.setHeader('content-range', `bytes */${size}`);
        res.end();
        return;
      }
      res.statusCode = 206;
      res.setHeader('content-range', `bytes ${from}-${to}/${size}`);
      res.setHeader('content-length', String(to - from + 1));
      createReadStream(real, { start: from, end: to }).pipe(res);
      return;
    }
    res.setHeader('content-length', String(size));
    createReadStream(real).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const userDir = mkdtempSync(join(tmpdir(), 'vblora-transformers-chromium-'));
  let context: BrowserContext | undefined;
  const cleanup = async (): Promise<void> => {
    await context?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(userDir, { recursive: true, force: true });
  };
  try {
    context = await chromium.launchPersistentContext(userDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const pageUrls: string[] = [];
    page.on('request', (r) => pageUrls.push(r.url()));
    const origin = `http://127.0.0.1:${port}`;
    await page.goto(`${origin}/`);
    return { page, requests, pageUrls, origin, close: cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
