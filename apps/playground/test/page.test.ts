import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeAdapter } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { peftGoldenPath, WHOLE_MODEL_TOLERANCES, type PeftGoldenCase } from '@vblora/conformance';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
/** Screenshots kept as CI artifacts. */
const ARTIFACTS = join(root, 'artifacts');
const CHROMIUM = '/usr/bin/chromium';
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

let server: Server;
let browser: Browser;
let url = '';
const out = mkdtempSync(join(tmpdir(), 'vblora-playground-'));

beforeAll(async () => {
  // headless Chromium is a test dependency (Debian `chromium`, installed by .ci/run): fail, never skip, without it
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium package`);
  await build({ root, logLevel: 'silent', build: { outDir: out, emptyOutDir: true } });
  server = createServer((req, res) => {
    const path = join(
      out,
      req.url === '/' || req.url === undefined ? 'index.html' : decodeURIComponent(req.url.split('?')[0]!),
    );
    if (!path.startsWith(out) || !existsSync(path)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(readFileSync(path));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  url = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}/`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--enable-unsafe-webgpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  rmSync(out, { recursive: true, force: true });
});

async function openAdapter(dir: string) {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await page.goto(url);
  await page.setInputFiles('#files', [join(dir, 'adapter_config.json'), join(dir, 'adapter_model.safetensors')]);
  await page.waitForSelector('#status[data-state]');
  return page;
}

describe('playground in headless Chromium', () => {
  it('shows the numbers describeAdapter computes for a golden adapter, and a heatmap', async () => {
    const dir = peftGoldenPath('llama_f32_vl32_nv300_top3_regex', 'adapter_topk');
    const page = await openAdapter(dir);
    expect(await page.getAttribute('#status', 'data-state')).toBe('loaded');
    const report = describeAdapter((await readAdapterDir(dir)).adapter);
    const cell = (key: string) => page.textContent(`tr[data-key="${key}"] td`);
    expect(await cell('modules')).toBe(String(report.modules.length));
    expect(await cell('index_dtype')).toBe('i16');
    expect(await cell('peft_topk')).toBe(report.parameters.peftSavableTopk);
    expect(await cell('file_bytes')).toBe(
      `${readFileSync(join(dir, 'adapter_model.safetensors')).byteLength.toLocaleString('en-US')} bytes`,
    );
    const size = await page.evaluate(() => {
      const c = document.getElementById('heatmap') as HTMLCanvasElement;
      return [c.width, c.height];
    });
    expect(size[0]).toBeGreaterThanOrEqual(300);
    expect(size[1]).toBeGreaterThan(0);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'playground.png'), fullPage: true });
    await page.close();
  }, 60_000);

  /** Opens an adapter with a base model (and PEFT's expected outputs) and waits for the forward table. */
  async function openWithBase(c: PeftGoldenCase, flavour: 'adapter_full' | 'adapter_topk') {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await page.goto(url);
    await page.setInputFiles('#files', [
      peftGoldenPath(c, flavour, 'adapter_config.json'),
      peftGoldenPath(c, flavour, 'adapter_model.safetensors'),
      peftGoldenPath(c, 'base.safetensors'),
      peftGoldenPath(c, 'expected.safetensors'),
    ]);
    await page.waitForSelector('#status[data-state]', { timeout: 90_000 });
    expect(await page.getAttribute('#status', 'data-state'), (await page.textContent('#status')) ?? '').toBe('loaded');
    expect(await page.textContent('tr[data-key="family"] td')).toBe('ToyLlama');
    return page;
  }

  // Chromium's SwiftShader adapter (--enable-unsafe-webgpu) runs the whole ToyLlama: compose and forward on WebGPU.
  // Accuracy vs PEFT: every element within F32_TOL (the page's peft_tol row), and max abs ≤ 1e-6, the atol term
  // of WHOLE_MODEL_TOLERANCES.webgpuF32
  // alone (measured in Chromium: adapter 4.8e-7 / 3.6e-7, base 3.0e-7 / 4.8e-7 for the two cases below).
  it('runs the f32 ToyLlama forward with the adapter on WebGPU and shows its error vs PEFT (≤ 1e-6)', async () => {
    const page = await openWithBase('llama_f32_vl16_nv64_top2', 'adapter_topk');
    expect(await page.textContent('tr[data-key="compose"] td')).toMatch(/^webgpu, [\d.]+ ms$/);
    expect(await page.textContent('tr[data-key="forward"] td')).toMatch(
      /^webgpu, [\d.]+ ms \(first run [\d.]+ ms\), output \(2, 5, 32\)$/,
    );
    expect(await page.textContent('[data-key="note"]')).toMatch(/^Compose and forward on WebGPU/);
    expect(Number(await page.textContent('tr[data-key="peft"] td'))).toBeLessThanOrEqual(
      WHOLE_MODEL_TOLERANCES.webgpuF32.atol,
    );
    expect(Number(await page.textContent('tr[data-key="peft_base"] td'))).toBeLessThanOrEqual(
      WHOLE_MODEL_TOLERANCES.webgpuF32.atol,
    );
    expect(await page.textContent('tr[data-key="peft_tol"] td')).toBe('yes');
    await page.screenshot({ path: join(ARTIFACTS, 'playground-forward.png'), fullPage: true });
    await page.close();
  }, 120_000);

  it('on WebGPU, a full-logits adapter with a modules_to_save head matches PEFT too (≤ 1e-6)', async () => {
    const page = await openWithBase('llama_f32_vl32_nv300_top3_regex', 'adapter_full');
    expect(await page.textContent('tr[data-key="forward"] td')).toMatch(/^webgpu, /);
    expect(Number(await page.textContent('tr[data-key="peft"] td'))).toBeLessThanOrEqual(
      WHOLE_MODEL_TOLERANCES.webgpuF32.atol,
    );
    expect(await page.textContent('tr[data-key="peft_tol"] td')).toBe('yes');
    await page.close();
  }, 120_000);

  // bf16: tf.js emulates torch's half rounding, the WebGPU ToyLlama is float32 only; the page says so.
  // Accuracy: 2 bf16 ulps at |y| < 2 (PEFT's largest output is 1.77): 2 · 2⁻⁷ = 1.5625e-2; measured 0 (tf.js
  // reproduces torch's bf16 bits).
  it('falls back to tf.js for a bf16 ToyLlama and says why', async () => {
    const page = await openWithBase('llama_bf16_vl16_nv256_top2_layer1_bias', 'adapter_topk');
    expect(await page.textContent('tr[data-key="forward"] td')).toMatch(/^tfjs-\w+, [\d.]+ ms/);
    expect(await page.textContent('[data-key="note"]')).toMatch(/^bf16 ToyLlama runs on tf\.js.*float32 models only/);
    expect(Number(await page.textContent('tr[data-key="peft"] td'))).toBeLessThanOrEqual(
      WHOLE_MODEL_TOLERANCES.playgroundBf16.atol,
    );
    await page.close();
  }, 120_000);

  it('warns about rows PEFT would reload as NaN', async () => {
    const page = await openAdapter(peftGoldenPath('edge_topk3_ties_zero_nan', 'adapter_topk'));
    const warnings = await page.$$eval('[data-warning]', (els) => els.map((e) => e.textContent ?? ''));
    expect(warnings.some((w) => /PEFT would reload proj A row 0 as NaN/.test(w))).toBe(true);
    await page.close();
  }, 60_000);

  it('reports a corrupt file as a typed error on the page', async () => {
    const page = await browser.newPage();
    await page.goto(url);
    await page.setInputFiles('#files', [
      {
        name: 'adapter_config.json',
        mimeType: 'application/json',
        buffer: readFileSync(peftGoldenPath('llama_f32_vl16_nv64_top2', 'adapter_full', 'adapter_config.json')),
      },
      {
        name: 'adapter_model.safetensors',
        mimeType: 'application/octet-stream',
        buffer: Buffer.from('not a safetensors file'),
      },
    ]);
    await page.waitForSelector('#status[data-state="error"]');
    expect(await page.textContent('#status')).toMatch(/^ResourceLimitError: safetensors header declares \d+ bytes/);
    await page.close();
  }, 60_000);
});
