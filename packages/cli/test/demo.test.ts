import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { vblora } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'vblora-demo-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('vblora demo (end to end)', () => {
  it('walks through inspect, compose, convert, merge and reports parity with PEFT', async () => {
    const out = join(tmp, 'demo-output');
    const r = await vblora('demo', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/A from top-k file +max abs err \S+ +ok/);
    expect(r.stdout).toMatch(/merged weights \(full file\) +max abs err \S+ +ok/);
    expect(r.stdout).not.toContain('FAIL');
    for (const f of ['composed-topk.safetensors', 'merged.safetensors', 'adapter_topk/adapter_model.safetensors']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
  });
});
