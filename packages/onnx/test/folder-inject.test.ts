/**
 * `injectModelFolder` on a small transformers.js folder (the golden ToyLlama as fp32 with external data, fp16, q4,
 * q4f16, int8, uint8): config files byte-identical, every variant injected, and base + branch equal to the
 * reference — the fp32 model gives PEFT's adapter output, the q4 model the float model of its dequantized weights
 * with ΔW merged; a hot-swap folder runs under `AdapterSession` like the built-in one with the adapter, and like
 * the base without. Accuracy: model outputs `2e-6 + 1e-5·|e|` (fp32 vs PEFT), `1e-5 + 1e-4·|e|` (q4 vs its float
 * reference: summation order of x·(W + BA)ᵀ against x·Wᵀ + (x·Aᵀ)·Bᵀ), exact for the base outputs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { composeAdapter, merge, tensor, toF32, type HostTensor, type VBLoRAAdapter } from '@vblora/core';
import {
  AdapterSession,
  injectModelFolder,
  readInjectionInfo,
  readOnnxModel,
  toyLlamaOnnx,
  type ModelFolderReport,
} from '@vblora/onnx';
import { readGolden } from './fixtures/toy-models.js';
import { expectClose, F32_MODEL, goldenAdapter } from './helpers/golden.js';
import { CONFIG_FILES, FOLDER_CASE, variantFile, writeTestFolder, type TestVariant } from './helpers/model-folders.js';
import { QUIET } from './helpers/ort.js';
import { refDequantizeQ4, refQuantizeQ4 } from './helpers/ref-quantizers.js';
import { tempDir } from './helpers/tmp.js';

const ALL: readonly TestVariant[] = ['fp32', 'fp16', 'q4', 'q4f16', 'int8', 'uint8'];
const dir = tempDir('folder-inject');
let input: string;
let adapter: VBLoRAAdapter;
let x: HostTensor<'f32'>;

beforeAll(async () => {
  input = await writeTestFolder(join(dir, 'in'), ALL, { external: ['fp32'] });
  adapter = await goldenAdapter(FOLDER_CASE);
  x = toF32(readGolden(FOLDER_CASE, 'expected.safetensors').get('input.x')!);
});

async function run(model: string | Uint8Array): Promise<HostTensor<'f32'>> {
  const session =
    typeof model === 'string'
      ? await ort.InferenceSession.create(model, QUIET)
      : await ort.InferenceSession.create(model, QUIET);
  try {
    const y = (await session.run({ x: new ort.Tensor('float32', x.data, [...x.shape]) }))['y']!;
    return tensor('f32', y.dims, y.data as Float32Array);
  } finally {
    await session.release();
  }
}

describe('injectModelFolder', () => {
  describe('folder-inject/static: the adapter built into every variant', () => {
    const out = join(dir, 'static');
    let report: ModelFolderReport;
    beforeAll(async () => {
      report = await injectModelFolder(adapter, input, out);
    });

    it('writes a complete folder: config files byte for byte, every variant, no new graph inputs', async () => {
      for (const name of Object.keys(CONFIG_FILES))
        expect(readFileSync(join(out, name)).equals(readFileSync(join(input, name)))).toBe(true);
      expect(readdirSync(join(out, 'onnx')).sort()).toEqual(readdirSync(join(input, 'onnx')).sort());
      expect(report.variants.map((v) => v.action)).toEqual(ALL.map(() => 'injected'));
      for (const v of ALL) {
        const model = await readOnnxModel(join(out, 'onnx', variantFile(v)));
        expect(readInjectionInfo(model.proto)?.variant).toBe('static');
        expect((model.proto.graph!.input ?? []).map((i) => i.name)).toEqual(['x']);
      }
    });

    it('fp32: base + branch gives PEFT’s adapter output', async () => {
      const y = await run(join(out, 'onnx', 'model.onnx'));
      expectClose(
        y,
        readGolden(FOLDER_CASE, 'expected.safetensors').get('output.adapter')!,
        F32_MODEL,
        'fp32 injected',
      );
    });

    it('q4: base + branch gives the float model of the dequantized weights with ΔW merged', async () => {
      const base = readGolden(FOLDER_CASE, 'base.safetensors');
      const pairs = await composeAdapter(adapter);
      const sd = new Map<string, HostTensor>(base);
      for (const [key, w] of base) {
        if (w.shape.length !== 2) continue;
        const [o, i] = w.shape as [number, number];
        const deq = tensor(
          'f32',
          [o, i],
          refDequantizeQ4(
            refQuantizeQ4(toF32(w).data, o, i, 32, { zeroPoints: false, rule: 'signed-max', f16Scales: false }),
            o,
            i,
            32,
          ),
        );
        const path = key.slice(0, -'.weight'.length);
        sd.set(key, pairs.has(path) ? merge({ weight: deq, ...pairs.get(path)! }) : deq);
      }
      const expected = await run(toyLlamaOnnx(sd, { style: 'torch' }).bytes);
      expectClose(await run(join(out, 'onnx', 'model_q4.onnx')), expected, { atol: 1e-5, rtol: 1e-4 }, 'q4 injected');
    });

    it('every variant runs in onnxruntime with finite outputs', async () => {
      for (const v of ALL)
        expect((await run(join(out, 'onnx', variantFile(v)))).data.every(Number.isFinite), v).toBe(true);
    });
  });

  it('folder-inject/hot-swap: AdapterSession with the adapter equals the built-in model; without it, the base', async () => {
    const out = join(dir, 'hot');
    await injectModelFolder(adapter, input, out, { hotSwap: true });
    const staticOut = join(dir, 'static');
    for (const v of ['q4', 'int8'] as const) {
      const session = await AdapterSession.create(join(out, 'onnx', variantFile(v)), { sessionOptions: QUIET });
      try {
        await session.loadAdapter('a', adapter);
        const feeds = { x: new ort.Tensor('float32', x.data, [...x.shape]) };
        const withAdapter = (await session.run(feeds, { adapter: 'a' }))['y']!;
        const without = (await session.run(feeds))['y']!;
        const builtIn = await run(join(staticOut, 'onnx', variantFile(v)));
        expectClose(
          tensor('f32', withAdapter.dims, withAdapter.data as Float32Array),
          builtIn,
          { atol: 1e-5, rtol: 1e-4 },
          `${v} hot-swap`,
        );
        const baseY = await run(join(input, 'onnx', variantFile(v)));
        expect(Array.from(without.data as Float32Array)).toEqual(Array.from(baseY.data));
      } finally {
        await session.session.release();
      }
    }
  });
});
