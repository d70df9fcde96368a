import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { vblora } from './helpers.js';

// inside the repo, so the third-party file can resolve `@vblora/core` like an installed package would
const tmp = mkdtempSync(join(dirname(fileURLToPath(import.meta.url)), '.tmp-conformance-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('vblora conformance', () => {
  it('certifies the reference backend (@vblora/core) with every case passing', async () => {
    const r = await vblora('conformance', '@vblora/core');
    expect(r.status, r.stdout.slice(-2000)).toBe(0);
    expect(r.stdout).toMatch(/^conformance of backend "reference" \(f32\)/);
    expect(r.stdout).toMatch(/\d+ passed, 0 failed, 0 skipped \(kernel absent\), 0 known failures/);
    expect(r.stdout).toContain('CONFORMANT: every applicable case passed');
  }, 120_000);

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

  it('a module without a default-exported backend is a typed error', async () => {
    const r = await vblora('conformance', 'node:path');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^vblora: BackendUnavailableError: node:path has no default export that is a backend/);
  });
});
