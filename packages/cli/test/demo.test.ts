import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adapterFromFiles } from '@vblora/core';
import { vblora } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'vblora-demo-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('vblora demo (end to end, short run)', () => {
  it('trains, saves both flavours, reloads on every available backend and writes the report', async () => {
    const out = join(tmp, 'demo-output');
    const r = await vblora('demo', '--steps', '40', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const m = /final loss: base (\S+) → VB-LoRA (\S+)/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(Number(m![2])).toBeLessThan(Number(m![1]));
    // parity: every backend that ran agrees with the reference within the f32 declared accuracy
    for (const line of r.stdout.split('\n').filter((l) => /^ {2}(reference|tfjs|onnxruntime-node|webgpu)/.test(l))) {
      const errs = line.match(/\d\.\d\de[-+]\d+/g) ?? [];
      for (const e of errs) expect(Number(e), line).toBeLessThan(1e-5);
    }
    expect(r.stdout).toMatch(/^ {2}reference +0\.00e\+0 +0\.00e\+0/m);
    for (const f of ['adapter_full/adapter_config.json', 'adapter_topk/adapter_model.safetensors', 'base.safetensors', 'report.html']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const loaded = adapterFromFiles({
      config: readFileSync(join(out, 'adapter_topk', 'adapter_config.json'), 'utf8'),
      weights: new Uint8Array(readFileSync(join(out, 'adapter_topk', 'adapter_model.safetensors'))),
    });
    expect(loaded.adapter.config.save_only_topk_weights).toBe(true);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<h2>Bank usage</h2>');
  }, 300_000);
});
