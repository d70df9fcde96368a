/**
 * `vblora inject <adapter_dir> <adapter_dir> … --hot-swap` (#15): several adapters into one hot-swap model folder or
 * .onnx file (the union of their modules gets branches), and the usage error without --hot-swap. Uses the tiny
 * Llama fixture's two adapters (vblora-a: q, v, gate, up, down; vblora-b: all seven projections).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tinyLlamaPath } from '@vblora/conformance/fixtures';
import { readInjectionInfo, readOnnxModel } from '@vblora/onnx';
import { vblora } from './helpers.js';

const PRESENT = existsSync(tinyLlamaPath('onnx', 'model.onnx'));
if (!PRESENT && process.env['CI'] === 'true') throw new Error('the tiny-llama fixture is missing');

const tmp = mkdtempSync(join(tmpdir(), 'vblora-cli-inject-many-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const A = tinyLlamaPath('adapters', 'vblora-a');
const B = tinyLlamaPath('adapters', 'vblora-b');
const kinds = async (path: string) =>
  [
    ...new Set(readInjectionInfo((await readOnnxModel(path)).proto)!.modules.map((m) => m.path.split('.').at(-1))),
  ].sort();
const ALL = ['down_proj', 'gate_proj', 'k_proj', 'o_proj', 'q_proj', 'up_proj', 'v_proj'];

describe.runIf(PRESENT)('vblora inject with several adapters', () => {
  it('cli-inject-many/folder: both adapters into one hot-swap folder, every variant gets the union of modules', async () => {
    const out = join(tmp, 'hot-ab');
    const r = await vblora('inject', A, B, '--base', tinyLlamaPath(), '-o', out, '--hot-swap');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/Error/);
    for (const file of ['model.onnx', 'model_q4.onnx', 'model_int8.onnx']) {
      const info = readInjectionInfo((await readOnnxModel(join(out, 'onnx', file))).proto)!;
      expect(info.variant, file).toBe('lowrank');
      expect(await kinds(join(out, 'onnx', file)), file).toEqual(ALL);
    }
  });

  it('cli-inject-many/file: both adapters into one .onnx model', async () => {
    const out = join(tmp, 'hot-ab.onnx');
    const r = await vblora('inject', A, B, '--base', tinyLlamaPath('onnx', 'model.onnx'), '-o', out, '--hot-swap');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^injected 2 adapters \(\d+ modules\) into .*hot-ab\.onnx as hot-swappable inputs/);
    expect(await kinds(out)).toEqual(ALL);
  });

  it('cli-inject-many/usage: several adapters without --hot-swap are a usage error, nothing written', async () => {
    const out = join(tmp, 'static-ab');
    const r = await vblora('inject', A, B, '--base', tinyLlamaPath(), '-o', out);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /^vblora: inject: 2 adapters given; several adapters need --hot-swap .*; see "vblora inject --help"\n$/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('cli-inject-many/second-adapter: every adapter is read and checked (a missing second one fails, nothing written)', async () => {
    const out = join(tmp, 'missing');
    const r = await vblora(
      'inject',
      A,
      join(tmp, 'no-such-adapter'),
      '--base',
      tinyLlamaPath(),
      '-o',
      out,
      '--hot-swap',
    );
    expect(r.status).toBe(1);
    expect(existsSync(out)).toBe(false);
  });
});
