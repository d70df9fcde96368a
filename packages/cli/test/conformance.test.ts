import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBackendModule } from '../src/commands/backend-module.js';
import { vblora } from './helpers.js';

// inside the repo, so the third-party file can resolve `@vblora/core` like an installed package would
const tmp = mkdtempSync(join(dirname(fileURLToPath(import.meta.url)), '.tmp-conformance-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A third-party module exporting `createBackend(options)`: ΔW = scale·B·A in plain loops (scale 1 is right), arguments checked by core. */
const FACTORY_MODULE = `import { checkKernelArgs, defineBackend } from '@vblora/core';
export function createBackend(options) {
  for (const key of Object.keys(options)) if (key !== 'scale' && key !== 'name') throw new Error('unknown option "' + key + '"');
  const scale = Number(options.scale ?? '1');
  const deltaWeight = ({ A, B, fanInFanOut = false }) => {
    checkKernelArgs('deltaWeight', { A, B, fanInFanOut }); // the contract's argument errors (the kit checks them)
    const [r, inF] = A.shape, outF = B.shape[0];
    const data = new Float32Array(outF * inF);
    for (let o = 0; o < outF; o++) for (let i = 0; i < inF; i++) {
      let acc = 0;
      for (let j = 0; j < r; j++) acc = Math.fround(acc + Math.fround(B.data[o * r + j] * A.data[j * inF + i]));
      data[fanInFanOut ? i * outF + o : o * inF + i] = Math.fround(scale * acc);
    }
    return { dtype: 'f32', shape: fanInFanOut ? [inF, outF] : [outF, inF], data };
  };
  return Promise.resolve(defineBackend({ name: options.name ?? 'plain-delta', precision: 'f32', isAvailable: () => true, kernels: { deltaWeight } }));
}
`;

const factoryFile = (): string => {
  const file = join(tmp, 'factory-backend.mjs');
  writeFileSync(file, FACTORY_MODULE);
  return file;
};

interface JsonReport {
  readonly backend: string;
  readonly ok: boolean;
  readonly totals: { passed: number; failed: number; skipped: number };
  readonly kernels: Record<string, { passed: number; failed: number; skipped: number }>;
}

describe('vblora conformance', () => {
  it('certifies the reference backend (@vblora/core) with every case passing', async () => {
    const r = await vblora('conformance', '@vblora/core');
    expect(r.status, r.stdout.slice(-2000)).toBe(0);
    expect(r.stdout).toMatch(/^conformance of backend "reference" \(f32\)/);
    expect(r.stdout).toMatch(/\d+ passed, 0 failed, 0 skipped \(kernel absent\), 0 known failures/);
    expect(r.stdout).toContain('CONFORMANT: every applicable case passed');
  }, 120_000);

  it('certifies the cpu backend: @vblora/cpu', async () => {
    const r = await vblora('conformance', '@vblora/cpu', '--json');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.backend).toBe('cpu');
    expect(report.ok).toBe(true);
    expect(report.kernels['composeLowRank']!.passed).toBeGreaterThan(0);
    expect(report.kernels['merge']!.passed).toBeGreaterThan(0);
    expect(report.totals.failed).toBe(0);
  }, 180_000);

  it('certifies the onnxruntime backend (@vblora/onnx, its default export)', async () => {
    const r = await vblora('conformance', '@vblora/onnx', '--json');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.ok).toBe(true);
    expect(report.totals.passed).toBeGreaterThan(0);
    expect(report.totals.failed).toBe(0);
  }, 300_000);

  for (const [tfBackend, argv] of [
    ['cpu', []],
    ['wasm', ['--option', 'tfBackend=wasm']],
  ] as const) {
    it(`certifies TensorFlow.js on ${tfBackend}: @vblora/tfjs ${argv.join(' ')}`, async () => {
      const r = await vblora('conformance', '@vblora/tfjs', ...argv, '--json');
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as JsonReport;
      expect(report.backend).toBe(`tfjs-${tfBackend}`);
      expect(report.ok).toBe(true);
      expect(report.totals).toMatchObject({ failed: 0, skipped: 0 });
    }, 180_000);
  }

  it('certifies WebGPU in Node (@vblora/webgpu: Dawn) where there is an adapter', async (ctx) => {
    const backend = await loadBackendModule('@vblora/webgpu', {});
    if (!(await backend.isAvailable())) ctx.skip('no WebGPU adapter on this machine');
    const r = await vblora('conformance', '@vblora/webgpu', '--json');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.backend).toBe('webgpu');
    expect(report.ok).toBe(true);
    expect(report.totals.passed).toBeGreaterThan(0);
  }, 300_000);

  it('a third-party createBackend(options) is called with the --option values (strings, by key)', async () => {
    const file = factoryFile();
    const ok = await vblora('conformance', file, '--json', '--option', 'name=mine', '--option', 'scale=1');
    expect(ok.status, ok.stderr).toBe(0);
    const report = JSON.parse(ok.stdout) as JsonReport;
    expect(report.backend).toBe('mine');
    expect(report.kernels['deltaWeight']!.passed).toBeGreaterThan(0);
    expect(report.totals.passed).toBe(report.kernels['deltaWeight']!.passed);

    // no options: createBackend({}) (the module has no default export)
    expect((await vblora('conformance', file)).status).toBe(0);

    const wrong = await vblora('conformance', file, '--json', '--option', 'scale=2');
    expect(wrong.status).toBe(1);
    expect((JSON.parse(wrong.stdout) as JsonReport).kernels['deltaWeight']!.failed).toBeGreaterThan(0);
  }, 120_000);

  it('a factory that throws (an option it does not know) is one typed line, exit 1', async () => {
    const r = await vblora('conformance', factoryFile(), '--option', 'colour=blue');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^vblora: BackendUnavailableError: .*factory-backend\.mjs: createBackend\(options\) failed: unknown option "colour"\n$/,
    );
    const core = await vblora('conformance', '@vblora/core', '--option', 'backend=gpu');
    expect(core.status).toBe(1);
    // a first-party factory refuses with core's ConfigError (checkBackendOptions), passed through as it is
    expect(core.stderr).toMatch(/^vblora: ConfigError: @vblora\/core: option backend must be reference, got "gpu"\n$/);
  });

  it('--option needs KEY=VALUE, once per key, and a module that has one; each mistake is a usage error (exit 2)', async () => {
    const file = factoryFile();
    for (const argv of [
      ['conformance', file, '--option', 'scale'],
      ['conformance', file, '--option', '=1'],
      ['conformance', file, '--option', 'scale=1', '--option', 'scale=2'],
      ['conformance', '@vblora/onnx', '--option', 'x=1'],
    ]) {
      const r = await vblora(...argv);
      expect(r.status, argv.join(' ')).toBe(2);
      expect(r.stderr.split('\n')).toHaveLength(2); // one line
      expect(r.stderr).toMatch(/^vblora: conformance: .*; see "vblora conformance --help"\n$/);
    }
  });

  it('reports a third-party file backend as JSON, exit 1 when a case fails', async () => {
    const file = join(tmp, 'broken-backend.mjs');
    writeFileSync(
      file,
      [
        "import { defineBackend } from '@vblora/core';",
        'export default defineBackend({ name: "off-by-one", precision: "f32", isAvailable: () => true, kernels: {',
        '  deltaWeight: ({ A, B }) => ({ dtype: "f32", shape: [B.shape[0], A.shape[1]], data: new Float32Array(B.shape[0] * A.shape[1]).fill(1) }),',
        '} });',
      ].join('\n'),
    );
    const r = await vblora('conformance', file, '--json');
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as { ok: boolean; kernels: Record<string, { failed: number }> };
    expect(report.ok).toBe(false);
    expect(report.kernels['deltaWeight']!.failed).toBeGreaterThan(0);
  }, 120_000);

  it('a module with neither a default-exported backend nor createBackend is a typed error', async () => {
    const r = await vblora('conformance', 'node:path');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^vblora: BackendUnavailableError: node:path has no default export that is a backend \(defineBackend\(\.\.\.\)\) and no createBackend\(options\) export\n$/,
    );
  });
});
