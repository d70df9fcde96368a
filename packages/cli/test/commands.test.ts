import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareTensors, readSafetensors } from '@vblora/core';
import { peftGoldenPath } from '@vblora/conformance';
import { vblora } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'vblora-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const CASE = 'llama_f32_vl16_nv64_top2';
const full = peftGoldenPath(CASE, 'adapter_full');
const topk = peftGoldenPath(CASE, 'adapter_topk');
const read = (p: string) => readSafetensors(new Uint8Array(readFileSync(p))).tensors;

describe('vblora convert', () => {
  for (const c of [
    'llama_f32_vl16_nv64_top2',
    'gpt2_conv1d_fan_in_fan_out_f32',
    'llama_bf16_vl16_nv256_top2_layer1_bias',
  ] as const) {
    it(`--full of ${c}/adapter_full reproduces both files byte for byte`, async () => {
      const out = join(tmp, `full-${c}`);
      const r = await vblora('convert', peftGoldenPath(c, 'adapter_full'), '-o', out, '--full');
      expect(r.status, r.stderr).toBe(0);
      for (const f of ['adapter_config.json', 'adapter_model.safetensors']) {
        expect(readFileSync(join(out, f)).equals(readFileSync(peftGoldenPath(c, 'adapter_full', f))), f).toBe(true);
      }
    });
  }

  it('--topk-only writes PEFT’s config bytes and the same keys', async () => {
    const out = join(tmp, 'topk');
    const r = await vblora('convert', full, '-o', out, '--topk-only');
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(out, 'adapter_config.json'), 'utf8')).toBe(
      readFileSync(join(topk, 'adapter_config.json'), 'utf8'),
    );
    expect([...read(join(out, 'adapter_model.safetensors')).keys()]).toEqual([
      ...read(join(topk, 'adapter_model.safetensors')).keys(),
    ]);
  });

  it('needs exactly one of --topk-only / --full', async () => {
    const r = await vblora('convert', full, '-o', join(tmp, 'x'), '--topk-only', '--full');
    expect(r.status).toBe(2);
    expect(existsSync(join(tmp, 'x'))).toBe(false);
  });
});

describe('vblora compose', () => {
  it('writes float32 A, B, delta for every module, matching PEFT within 1e-6 + 1e-5·|e|', async () => {
    const out = join(tmp, 'composed.safetensors');
    const r = await vblora('compose', topk, '-o', out, '--backend', 'reference');
    expect(r.status, r.stderr).toBe(0);
    const t = read(out);
    const expected = read(peftGoldenPath(CASE, 'expected.safetensors'));
    expect(t.size).toBe(12 * 3);
    for (const [key, value] of t) {
      expect(value.dtype).toBe('f32');
      const m = key.slice(0, key.lastIndexOf('.'));
      const kind = key.slice(key.lastIndexOf('.') + 1);
      const e = expected.get(`layer.${m}.topk_reload.${kind === 'delta' ? 'delta_weight' : kind}`)!;
      expect(compareTensors(value, e, { atol: 1e-6, rtol: 1e-5 }).ok, key).toBe(true);
    }
  });

  for (const c of [CASE, 'gpt2_conv1d_fan_in_fan_out_f32', 'llama_bf16_vl16_nv256_top2_layer1_bias'] as const) {
    it(`--backend cpu (no deltaWeight kernel) writes the reference backend's file byte for byte: ${c}`, async () => {
      const adapter = peftGoldenPath(c, 'adapter_topk');
      const ref = join(tmp, `ref-${c}.safetensors`);
      const cpu = join(tmp, `cpu-${c}.safetensors`);
      expect((await vblora('compose', adapter, '-o', ref, '--backend', 'reference')).status).toBe(0);
      const r = await vblora('compose', adapter, '-o', cpu, '--backend', 'cpu');
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^composed \d+ modules on cpu \(ΔW on reference: cpu has no deltaWeight kernel\) → /);
      expect(readFileSync(cpu).equals(readFileSync(ref))).toBe(true);
      const expected = read(peftGoldenPath(c, 'expected.safetensors'));
      for (const [key, value] of read(cpu)) {
        if (!key.endsWith('.delta')) continue;
        const e = expected.get(`layer.${key.slice(0, -'.delta'.length)}.topk_reload.delta_weight`)!;
        expect(compareTensors(value, e, { atol: 1e-6, rtol: 1e-5 }).ok, key).toBe(true);
      }
    });
  }

  it('rejects an unknown backend with a usage error', async () => {
    const r = await vblora('compose', topk, '-o', join(tmp, 'c2.safetensors'), '--backend', 'nope');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown backend "nope": valid backends are reference');
  });
});

describe('vblora merge', () => {
  it('merges into base.safetensors like merge_and_unload (keys, dtypes kept)', async () => {
    const out = join(tmp, 'merged.safetensors');
    const r = await vblora('merge', full, '--base', peftGoldenPath(CASE, 'base.safetensors'), '-o', out);
    expect(r.status, r.stderr).toBe(0);
    const merged = read(out);
    const base = read(peftGoldenPath(CASE, 'base.safetensors'));
    expect([...merged.keys()].sort()).toEqual([...base.keys()].sort());
    const expected = read(peftGoldenPath(CASE, 'expected.safetensors'));
    const w = merged.get('model.layers.1.mlp.down_proj.weight')!;
    expect(
      compareTensors(w, expected.get('layer.model.layers.1.mlp.down_proj.merged_weight')!, { atol: 1e-6, rtol: 1e-5 })
        .ok,
    ).toBe(true);
  });
});

describe('bad input: one typed line, non-zero status, no partial file, old file intact', () => {
  it('a corrupt safetensors file', async () => {
    const dir = join(tmp, 'corrupt');
    cpSync(full, dir, { recursive: true });
    const bytes = readFileSync(join(dir, 'adapter_model.safetensors'));
    bytes[3] = 0x7f; // header length now far beyond the file
    writeFileSync(join(dir, 'adapter_model.safetensors'), bytes);
    const out = join(tmp, 'corrupt-out.safetensors');
    writeFileSync(out, 'old contents');
    const r = await vblora('compose', dir, '-o', out);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^vblora: (CheckpointFormatError|ResourceLimitError): /);
    expect(readFileSync(out, 'utf8')).toBe('old contents');
    expect(readdirSync(tmp).filter((f) => f.startsWith('.vblora-tmp-'))).toEqual([]);
  });

  it('an invalid config', async () => {
    const dir = join(tmp, 'badconfig');
    cpSync(full, dir, { recursive: true });
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    cfg['r'] = 0;
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify(cfg));
    const r = await vblora('inspect', dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^vblora: ConfigError: .*`r` 0 should be a positive integer value/);
  });

  it('a missing directory, a missing option, an unknown command', async () => {
    expect((await vblora('inspect', join(tmp, 'does-not-exist'))).status).toBe(1);
    expect((await vblora('merge', full, '-o', join(tmp, 'm.safetensors'))).status).toBe(2);
    expect((await vblora('frobnicate')).status).toBe(2);
  });

  it('a base model without the adapted module', async () => {
    const out = join(tmp, 'wrong-base.safetensors');
    const r = await vblora(
      'merge',
      full,
      '--base',
      peftGoldenPath('gpt2_conv1d_fan_in_fan_out_f32', 'base.safetensors'),
      '-o',
      out,
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^vblora: AdapterError: the base model has no weight for 12 of 12 adapted modules \(first: model\.layers\.0\.mlp\.down_proj\.weight\); its weights look like transformer\.h\.0\./,
    );
    expect(existsSync(out)).toBe(false);
  });
});
