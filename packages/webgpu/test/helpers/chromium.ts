/**
 * Headless Chromium (Debian's, never a downloaded one) serving a page from a throwaway 127.0.0.1 server: WebGPU
 * needs a secure context, which localhost is and about:blank is not.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** The system Chromium. */
export const CHROMIUM = '/usr/bin/chromium';

/** `--enable-unsafe-webgpu` is the flag that matters; the rest keep a headless run quiet and offline. */
export const CHROMIUM_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Every file under `dir`, relative, with forward slashes. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split('\\').join('/'));
    }
  };
  walk(dir);
  return out;
}

/** A page on a local server: `/` is an empty HTML page, `/bundle.js` the given script, `/fixtures/*` a folder. */
export interface PageSession {
  readonly page: Page;
  close(): Promise<void>;
}

/** Starts the server and the browser and opens the page. */
export async function openPage(bundle: string, fixturesDir: string): Promise<PageSession> {
  const fixtureList = JSON.stringify(listFiles(fixturesDir));
  const server: Server = createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    if (url === '/') {
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><html><body><script type="module" src="/bundle.js"></script></body></html>');
    } else if (url === '/bundle.js') {
      res.setHeader('content-type', 'text/javascript');
      res.end(bundle);
    } else if (url === '/fixtures/index.json') {
      res.setHeader('content-type', 'application/json');
      res.end(fixtureList);
    } else if (url.startsWith('/fixtures/') && !url.includes('..')) {
      const file = join(fixturesDir, url.slice('/fixtures/'.length));
      if (!existsSync(file)) {
        res.statusCode = 404;
        res.end();
        return;
      }
      res.end(readFileSync(file));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const userDir = mkdtempSync(join(tmpdir(), 'vblora-chromium-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(userDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`http://127.0.0.1:${port}/`);
    const ctx = context;
    return {
      page,
      close: async () => {
        await ctx.close();
        server.close();
        rmSync(userDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await context?.close();
    server.close();
    rmSync(userDir, { recursive: true, force: true });
    throw e;
  }
}
