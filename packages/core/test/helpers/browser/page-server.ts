/**
 * Shared by the page tests of several packages. Headless Chromium (Debian's, never a downloaded one) on a page served from a throwaway 127.0.0.1 server: `/`
 * loads `/bundle.js`; every other path under a mounted prefix is a file of the folder mounted there.
 */
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, sep } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** The system Chromium. */
export const CHROMIUM = '/usr/bin/chromium';

const FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/** A page and how to close everything. */
export interface PageSession {
  readonly page: Page;
  /** The page's origin, `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** Paths the server answered, in order (to check what the page fetched). */
  readonly served: readonly string[];
  /** Paths under a mount that the server answered with 404. */
  readonly missing: readonly string[];
  /** Every URL the page requested, wherever it pointed (to check that nothing left 127.0.0.1). */
  readonly pageUrls: readonly string[];
  close(): Promise<void>;
}

/** Starts the server (`mounts`: URL prefix such as `/ort/` or `/fixtures/` → folder) and the browser, and opens the page. */
export async function openPage(bundle: string, mounts: Readonly<Record<string, string>>): Promise<PageSession> {
  const served: string[] = [];
  const missing: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0]!);
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
    const mount = Object.entries(mounts).find(([prefix]) => url.startsWith(prefix));
    const file = mount === undefined || url.split('/').includes('..') ? '' : join(mount[1], url.slice(mount[0].length));
    const real = file !== '' && existsSync(file) ? realpathSync(file) : '';
    if (real === '' || !real.startsWith(realpathSync(mount![1]) + sep) || !statSync(real).isFile()) {
      if (mount !== undefined) missing.push(url);
      res.statusCode = 404;
      res.end();
      return;
    }
    served.push(url);
    res.setHeader('content-type', TYPES[extname(real)] ?? 'application/octet-stream');
    res.end(readFileSync(real));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const userDir = mkdtempSync(join(tmpdir(), 'vblora-chromium-'));
  let context: BrowserContext | undefined;
  const close = async (): Promise<void> => {
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
    await page.goto(`${origin}/`);
    return { page, origin, served, missing, pageUrls, close };
  } catch (err) {
    await close();
    throw err;
  }
}
