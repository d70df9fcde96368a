import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareTensors } from '@vblora/core';
import { peftGoldenPath, WHOLE_MODEL_TOLERANCES } from '@vblora/conformance';
// the ONNX package's own toy-graph builders and runner (named like the torch exporter names them)
import { readGolden, toyModelBytes } from '../../onnx/test/fixtures/toy-models.js';
import { runToy } from '../../onnx/test/helpers/ort.js';
import { vblora } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'vblora-cli-onnx-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('vblora merge --base model.onnx', () => {
  it('writes a merged ONNX model whose outputs match PEFT’s merged model (|a−e| ≤ 2e-6 + 1e-5·|e|)', async () => {
    const c = 'llama_f32_vl16_nv64_top2';
    const base = join(tmp, 'toy-llama.onnx');
    writeFileSync(base, toyModelBytes(c, { style: 'torch' }));
    const out = join(tmp, 'merged.onnx');
    const r = await vblora('merge', peftGoldenPath(c, 'adapter_topk'), '--base', base, '-o', out, '--backend', 'onnx');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^merged 12 modules into .*merged\.onnx on onnxruntime-node/);
    const expected = readGolden(c, 'expected.safetensors');
    const y = await runToy(out, expected.get('input.x')!);
    const report = compareTensors(y, expected.get('output.merged')!, WHOLE_MODEL_TOLERANCES.onnxF32);
    expect(report.ok, `max abs ${report.maxAbs}`).toBe(true);
  }, 60_000);
});
