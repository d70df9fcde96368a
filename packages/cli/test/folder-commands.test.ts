/**
 * `vblora merge --base <model folder>` and `vblora inject`: complete transformers.js folders, quantized models
 * refused by merge with the reason (or requantized, or skipped, when asked), inject into every variant, and the
 * command's contract on bad input: one typed line, exit 1, nothing written.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BANK_KEY, readSafetensors, tensor, toF32, writeSafetensors } from '@vblora/core';
import { peftGoldenPath } from '@vblora/conformance';
import { readInjectionInfo, readOnnxModel } from '@vblora/onnx';
// the ONNX package's own test folders (ToyLlama as fp32, q4, int8) and runner options
import { readGolden } from '../../onnx/test/fixtures/toy-models.js';
import { CONFIG_FILES, FOLDER_CASE, writeTestFolder } from '../../onnx/test/helpers/model-folders.js';
import { QUIET } from '../../onnx/test/helpers/ort.js';
import { vblora } from './helpers.js';
import { oneTypedLine } from './reliability/helpers/hostile-adapters.js';

const tmp = mkdtempSync(join(tmpdir(), 'vblora-cli-folder-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const adapter = peftGoldenPath(FOLDER_CASE, 'adapter_full');
let folder: string;

beforeAll(async () => {
  folder = await writeTestFolder(join(tmp, 'model'), ['fp32', 'q4', 'int8'], { external: ['fp32'] });
});

const leftovers = () => readdirSync(tmp).filter((n) => n.startsWith('.vblora-'));

/** Runs a model on the golden input; returns output `y`. */
async function run(path: string): Promise<Float32Array> {
  const x = toF32(readGolden(FOLDER_CASE, 'expected.safetensors').get('input.x')!);
  const session = await ort.InferenceSession.create(path, QUIET);
  try {
    return (await session.run({ x: new ort.Tensor('float32', x.data, [...x.shape]) }))['y']!.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('vblora merge --base <model folder>', () => {
  it('cli-folder/merge-refused: quantized models are refused in one typed line with the reason; nothing written', async () => {
    const out = join(tmp, 'refused');
    const r = await vblora('merge', adapter, '--base', folder, '-o', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(oneTypedLine('UnsupportedError'));
    expect(r.stderr).toMatch(/onnx\/model_q4\.onnx: its adapted layers are quantized \(q4\)/);
    expect(r.stderr).toMatch(/vblora inject.*--requantize.*--skip-unsupported/);
    expect(existsSync(out)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('cli-folder/merge-skip: --skip-unsupported writes the float models and lists the rest', async () => {
    const out = join(tmp, 'skipped');
    const r = await vblora('merge', adapter, '--base', folder, '-o', out, '--skip-unsupported');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^merged onnx\/model\.onnx \(fp32\)\nskipped onnx\/model_int8\.onnx \(int8\): its adapted layers are quantized/,
    );
    expect(r.stdout).toMatch(/wrote .*skipped: 1 of 3 models; copied config\.json, generation_config\.json/);
    for (const name of Object.keys(CONFIG_FILES))
      expect(readFileSync(join(out, name)).equals(readFileSync(join(folder, name)))).toBe(true);
    expect(readdirSync(join(out, 'onnx')).sort()).toEqual(['model.onnx', 'model.onnx_data']);
  });

  it('cli-folder/merge-requantize: --requantize merges every model and reports the error it adds', async () => {
    const out = join(tmp, 'requantized');
    const r = await vblora('merge', adapter, '--base', folder, '-o', out, '--requantize', '--backend', 'cpu');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^requantized onnx\/model_q4\.onnx \(q4\): max error \S+ \(the base's half step: \S+\); ΔW error \S+–\S+ of ‖ΔW‖/m,
    );
    expect(r.stdout).toMatch(/^requantized onnx\/model_int8\.onnx \(int8\)/m);
    expect(readdirSync(join(out, 'onnx')).sort()).toEqual(readdirSync(join(folder, 'onnx')).sort());
    for (const f of ['model.onnx', 'model_q4.onnx', 'model_int8.onnx'])
      expect((await run(join(out, 'onnx', f))).every(Number.isFinite)).toBe(true);
  });

  it('cli-folder/merge-onnx-file: a quantized .onnx base is refused without --requantize, merged with it', async () => {
    const base = join(folder, 'onnx', 'model_q4.onnx');
    const refused = await vblora('merge', adapter, '--base', base, '-o', join(tmp, 'q4-merged.onnx'));
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(oneTypedLine('UnsupportedError'));
    expect(existsSync(join(tmp, 'q4-merged.onnx'))).toBe(false);
    const ok = await vblora('merge', adapter, '--base', base, '-o', join(tmp, 'q4-merged.onnx'), '--requantize');
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(
      /^requantized model\.layers\.0\.self_attn\.q_proj \(q4, symmetric, scale = m\/−8\): max error/m,
    );
  });
});

describe('vblora inject', () => {
  it('cli-folder/inject: every model gets the adapter built in; the fp32 one gives PEFT’s adapted output', async () => {
    const out = join(tmp, 'injected');
    const r = await vblora('inject', adapter, '--base', folder, '-o', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^injected onnx\/model\.onnx \(fp32\)\ninjected onnx\/model_int8\.onnx \(int8\)\ninjected onnx\/model_q4\.onnx \(q4\)\nwrote /,
    );
    for (const name of Object.keys(CONFIG_FILES))
      expect(readFileSync(join(out, name)).equals(readFileSync(join(folder, name)))).toBe(true);
    for (const f of ['model.onnx', 'model_q4.onnx', 'model_int8.onnx']) {
      const model = await readOnnxModel(join(out, 'onnx', f));
      expect(readInjectionInfo(model.proto)?.variant).toBe('static');
      expect((model.proto.graph!.input ?? []).map((i) => i.name)).toEqual(['x']); // nothing new to feed
    }
    const y = await run(join(out, 'onnx', 'model.onnx'));
    const expected = toF32(readGolden(FOLDER_CASE, 'expected.safetensors').get('output.adapter')!).data;
    expect(Math.max(...Array.from(y, (v, i) => Math.abs(v - expected[i]!)))).toBeLessThan(2e-5);
  });

  it('cli-folder/inject-hot-swap: --hot-swap adds the adapter inputs instead', async () => {
    const out = join(tmp, 'hot');
    const r = await vblora('inject', adapter, '--base', folder, '-o', out, '--hot-swap');
    expect(r.status, r.stderr).toBe(0);
    const model = await readOnnxModel(join(out, 'onnx', 'model_q4.onnx'));
    expect(readInjectionInfo(model.proto)?.variant).toBe('lowrank');
    expect((model.proto.graph!.input ?? []).some((i) => i.name?.startsWith('vblora.'))).toBe(true);
  });

  it('cli-folder/inject-file: a single .onnx model is injected the same way', async () => {
    const out = join(tmp, 'one.onnx');
    const r = await vblora('inject', adapter, '--base', join(folder, 'onnx', 'model_q4.onnx'), '-o', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^injected 12 modules into .*one\.onnx built in\n$/);
    expect((await run(out)).every(Number.isFinite)).toBe(true);
  });
});

describe('the folder commands on bad input', () => {
  it('cli-folder/non-finite: an adapter with NaN in its bank is refused by merge and inject unless --allow-non-finite', async () => {
    const bad = join(tmp, 'nan-adapter');
    cpSync(adapter, bad, { recursive: true });
    const file = join(bad, 'adapter_model.safetensors');
    const st = readSafetensors(new Uint8Array(readFileSync(file)), { copy: true });
    const bank = toF32(st.tensors.get(BANK_KEY)!);
    bank.data[5] = Number.NaN;
    st.tensors.set(BANK_KEY, tensor('f32', bank.shape, bank.data));
    writeFileSync(file, writeSafetensors(st.tensors, st.metadata));
    for (const cmd of ['merge', 'inject']) {
      const r = await vblora(cmd, bad, '--base', folder, '-o', join(tmp, `nan-${cmd}`));
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(oneTypedLine('NumericalError'));
      expect(existsSync(join(tmp, `nan-${cmd}`))).toBe(false);
    }
    const allowed = await vblora('inject', bad, '--base', folder, '-o', join(tmp, 'nan-allowed'), '--allow-non-finite');
    expect(allowed.status, allowed.stderr).toBe(0);
  });

  it('cli-folder/aliasing: an output that is the model folder or the adapter is refused', async () => {
    for (const cmd of ['merge', 'inject']) {
      for (const out of [folder, adapter, join(folder, 'onnx')]) {
        const r = await vblora(cmd, adapter, '--base', folder, '-o', out);
        expect(r.status, `${cmd} -o ${out}`).toBe(1);
        expect(r.stderr).toMatch(oneTypedLine('PathError'));
      }
    }
    expect(leftovers()).toEqual([]);
  });

  it('cli-folder/budget: --max-memory below a model’s size is a ResourceLimitError before anything is written', async () => {
    for (const cmd of ['merge', 'inject']) {
      const out = join(tmp, `budget-${cmd}`);
      const r = await vblora(cmd, adapter, '--base', folder, '-o', out, '--max-memory', '64KiB');
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(oneTypedLine('ResourceLimitError'));
      expect(existsSync(out)).toBe(false);
    }
  });

  it('cli-folder/usage: inject without --base is a usage error; a base that is neither a model nor a folder is refused', async () => {
    const r = await vblora('inject', adapter, '-o', join(tmp, 'x.onnx'));
    expect(r.status).toBe(2);
    const txt = join(tmp, 'base.txt');
    writeFileSync(txt, 'x');
    const r2 = await vblora('inject', adapter, '--base', txt, '-o', join(tmp, 'x.onnx'));
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(oneTypedLine('UnsupportedError'));
    const r3 = await vblora('merge', adapter, '--base', txt, '-o', join(tmp, 'x.safetensors'), '--requantize');
    expect(r3.status).toBe(2);
  });
});
