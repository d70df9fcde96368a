/**
 * `mergeModelFolder` on a small transformers.js folder (the golden ToyLlama as fp32 with external data, fp16, q4,
 * q4f16, int8, uint8): config files byte-identical, every variant present, float weights as core's reference merge
 * (float32 within a few ulps, float16 within one ulp), requantized weights equal to an independent requantization
 * with the reported error the measured one, and every output runs in onnxruntime.
 * Accuracy: float32 weights `1e-6 + 1e-5·|e|`; float16 one ulp; quantized codes, scales, zero points exact.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  composeAdapter,
  deltaWeight,
  merge,
  tensor,
  toF32,
  UnsupportedError,
  type HostTensor,
  type VBLoRAAdapter,
} from '@vblora/core';
import {
  encodeOnnxModel,
  GraphBuilder,
  injectModelFolder,
  mapGraphModules,
  mergeModelFolder,
  readOnnxModel,
  readTensorData,
  type ModelFolderReport,
  type OnnxModel,
} from '@vblora/onnx';
import { readGolden } from './fixtures/toy-models.js';
import { CHECKER, checkOnnxFiles } from './helpers/checker.js';
import { expectClose, F32_MODEL, F32_WEIGHT, goldenAdapter } from './helpers/golden.js';
import { CONFIG_FILES, FOLDER_CASE, variantFile, writeTestFolder, type TestVariant } from './helpers/model-folders.js';
import { QUIET } from './helpers/ort.js';
import { refDequantizeInt8, refDequantizeQ4, refQuantizeInt8, refQuantizeQ4 } from './helpers/ref-quantizers.js';
import { tempDir } from './helpers/tmp.js';

const ALL: readonly TestVariant[] = ['fp32', 'fp16', 'q4', 'q4f16', 'int8', 'uint8'];
const dir = tempDir('folder-merge');
let input: string;
let adapter: VBLoRAAdapter;
let pairs: Map<string, { A: HostTensor<'f32'>; B: HostTensor<'f32'> }>;

beforeAll(async () => {
  input = await writeTestFolder(join(dir, 'in'), ALL, { external: ['fp32'] });
  adapter = await goldenAdapter(FOLDER_CASE);
  pairs = await composeAdapter(adapter);
});

const noStaging = () => expect(readdirSync(dir).filter((n) => n.startsWith('.vblora-'))).toEqual([]);

/** Values of an initializer of a model, by name. */
async function init(model: OnnxModel, name: string): Promise<HostTensor> {
  const t = (model.proto.graph!.initializer ?? []).find((i) => i.name === name);
  if (t === undefined) throw new Error(`no initializer ${name}`);
  return readTensorData(model, t);
}

/** The layer of a module in a model. */
const layerOf = (model: OnnxModel, path: string) => mapGraphModules(model).require(path)[0]!;

/** ΔW (out, in) of a module, core's reference. */
const deltaOf = (path: string): Float32Array => deltaWeight({ ...pairs.get(path)! }).data;

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j]!;
  return out;
}

describe('mergeModelFolder', () => {
  it('folder-merge/default: quantized variants are refused with the reason; nothing is written', async () => {
    const out = join(dir, 'refused');
    const err = await mergeModelFolder(adapter, input, out).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedError);
    const message = (err as Error).message;
    for (const v of ['q4', 'q4f16', 'int8', 'uint8'] as const) expect(message).toContain(`onnx/${variantFile(v)}`);
    expect(message).toMatch(/rounding every weight of the layer again/);
    expect(message).toMatch(/vblora inject/);
    expect(existsSync(out)).toBe(false);
    noStaging();
  });

  it('folder-merge/skip: with skipUnsupported the float variants are merged and the quantized ones left out', async () => {
    const out = join(dir, 'skipped');
    const report = await mergeModelFolder(adapter, input, out, { skipUnsupported: true });
    expect(report.variants.map((v) => [v.file, v.action])).toEqual([
      ['model.onnx', 'merged'],
      ['model_fp16.onnx', 'merged'],
      ['model_int8.onnx', 'skipped'],
      ['model_q4.onnx', 'skipped'],
      ['model_q4f16.onnx', 'skipped'],
      ['model_uint8.onnx', 'skipped'],
    ]);
    expect(report.variants[3]!.reason).toMatch(/quantized \(q4\).*inject/s);
    expect(readdirSync(join(out, 'onnx')).sort()).toEqual(['model.onnx', 'model.onnx_data', 'model_fp16.onnx']);
    noStaging();
  });

  describe('folder-merge/requantize: every variant, allowQuantizedMerge', () => {
    const out = join(dir, 'all');
    let report: ModelFolderReport;
    beforeAll(async () => {
      report = await mergeModelFolder(adapter, input, out, { allowQuantizedMerge: true });
    });

    it('writes a complete folder: config files byte for byte, every variant, the data file under its own name', () => {
      expect(report.copied).toEqual(Object.keys(CONFIG_FILES).sort());
      for (const name of Object.keys(CONFIG_FILES))
        expect(readFileSync(join(out, name)).equals(readFileSync(join(input, name)))).toBe(true);
      expect(readdirSync(join(out, 'onnx')).sort()).toEqual(readdirSync(join(input, 'onnx')).sort());
      expect(report.variants.map((v) => v.action)).toEqual([
        'merged',
        'merged',
        'requantized',
        'requantized',
        'requantized',
        'requantized',
      ]);
      expect(report.variants[0]!.dataFile).toBe('model.onnx_data');
      expect(readdirSync(out).filter((n) => n.startsWith('.'))).toEqual([]);
      noStaging();
    });

    it('fp32: merged weights within a few ulps of core’s reference merge', async () => {
      const base = readGolden(FOLDER_CASE, 'base.safetensors');
      const model = await readOnnxModel(join(out, 'onnx', 'model.onnx'));
      for (const path of adapter.modules.keys()) {
        const layer = layerOf(model, path);
        const expected = merge({ weight: base.get(`${path}.weight`)! as HostTensor<'f32'>, ...pairs.get(path)! });
        const got = toF32(await init(model, layer.weight)); // (in, out): the exporter's folded transpose
        const [inF, outF] = got.shape as [number, number];
        expectClose(tensor('f32', [outF, inF], transpose(got.data, inF, outF)), expected, F32_WEIGHT, path);
      }
    });

    it('fp16: merged weights within one float16 ulp of core’s reference merge, dtype kept', async () => {
      const inModel = await readOnnxModel(join(input, 'onnx', 'model_fp16.onnx'));
      const model = await readOnnxModel(join(out, 'onnx', 'model_fp16.onnx'));
      for (const path of adapter.modules.keys()) {
        const layer = layerOf(model, path);
        const got = await init(model, layer.weight);
        expect(got.dtype).toBe('f16');
        const baseW = await init(inModel, layer.weight); // f16 (in, out)
        const expected = merge({ weight: baseW as HostTensor<'f16'>, ...pairs.get(path)!, fanInFanOut: true });
        expectClose(got, expected, { atol: 0, rtol: 2 ** -11 }, path);
      }
    });

    for (const v of ['q4', 'q4f16'] as const) {
      it(`${v}: requantized blocks equal an independent requantization of W + ΔW; the reported error is the measured one`, async () => {
        const inModel = await readOnnxModel(join(input, 'onnx', variantFile(v)));
        const model = await readOnnxModel(join(out, 'onnx', variantFile(v)));
        const reports = report.variants.find((r) => r.file === variantFile(v))!.requantized;
        expect(reports.map((r) => r.module)).toEqual([...adapter.modules.keys()]);
        for (const path of adapter.modules.keys()) {
          const layer = layerOf(inModel, path);
          const quant = layer.quant as { scales: string; zeroPoints: string | null };
          const N = layer.outFeatures;
          const K = layer.inFeatures;
          const scalesOf = async (m: OnnxModel) => toF32(await init(m, quant.scales)).data;
          const baseQ = {
            packed: (await init(inModel, layer.weight)).data as Uint8Array,
            scales: await scalesOf(inModel),
            zeroPoints: quant.zeroPoints === null ? null : ((await init(inModel, quant.zeroPoints)).data as Uint8Array),
          };
          const deq = refDequantizeQ4(baseQ, N, K, 32);
          const d = deltaOf(path);
          const exact = Float32Array.from(deq, (w, i) => Math.fround(w + d[i]!));
          const ref = refQuantizeQ4(exact, N, K, 32, {
            zeroPoints: v === 'q4f16',
            rule: 'signed-max',
            f16Scales: v === 'q4f16',
          });
          expect(Array.from((await init(model, layer.weight)).data as Uint8Array)).toEqual(Array.from(ref.packed));
          expect(Array.from(await scalesOf(model))).toEqual(Array.from(ref.scales));
          if (quant.zeroPoints !== null)
            expect(Array.from((await init(model, quant.zeroPoints)).data as Uint8Array)).toEqual(
              Array.from(ref.zeroPoints!),
            );
          const requant = refDequantizeQ4(ref, N, K, 32);
          const r = reports.find((x) => x.module === path)!;
          expect(r.maxAbsError).toBe(Math.max(...Array.from(exact, (e, i) => Math.abs(requant[i]! - e))));
          expect(r.maxAbsDelta).toBe(Math.max(...Array.from(d, (x, i) => Math.abs(exact[i]! - deq[i]!))));
          expect(r.baseHalfStep).toBe(Math.max(...Array.from(baseQ.scales, Math.abs)) / 2);
          expect(r.layout).toBe(v);
        }
      });
    }

    for (const v of ['int8', 'uint8'] as const) {
      it(`${v}: requantized weights equal an independent requantization of W + ΔW; the reported error is the measured one`, async () => {
        const inModel = await readOnnxModel(join(input, 'onnx', variantFile(v)));
        const model = await readOnnxModel(join(out, 'onnx', variantFile(v)));
        const reports = report.variants.find((r) => r.file === variantFile(v))!.requantized;
        for (const path of adapter.modules.keys()) {
          const layer = layerOf(inModel, path);
          const quant = layer.quant as { scale: string; zeroPoint: string | null };
          const K = layer.inFeatures;
          const N = layer.outFeatures;
          const base = {
            values: (await init(inModel, layer.weight)).data as Int8Array | Uint8Array,
            scales: (await init(inModel, quant.scale)).data as Float32Array,
            zeroPoints: (await init(inModel, quant.zeroPoint!)).data as Int8Array | Uint8Array,
          };
          const deq = refDequantizeInt8(base, K, N);
          const d = transpose(deltaOf(path), N, K); // (in, out)
          const exact = Float32Array.from(deq, (w, i) => Math.fround(w + d[i]!));
          const dtype = v === 'int8' ? 'i8' : 'u8';
          const ref = refQuantizeInt8(exact, K, N, {
            dtype,
            symmetric: v === 'int8',
            reduceRange: false,
            perColumn: v === 'uint8',
          });
          expect(Array.from((await init(model, layer.weight)).data as Int8Array)).toEqual(Array.from(ref.values));
          expect(Array.from((await init(model, quant.scale)).data as Float32Array)).toEqual(Array.from(ref.scales));
          expect(Array.from((await init(model, quant.zeroPoint!)).data as Int8Array)).toEqual(
            Array.from(ref.zeroPoints),
          );
          const requant = refDequantizeInt8(ref, K, N);
          const r = reports.find((x) => x.module === path)!;
          expect(r.maxAbsError).toBe(Math.max(...Array.from(exact, (e, i) => Math.abs(requant[i]! - e))));
          expect(r.layout).toBe(v);
          expect(r.rule).toBe(v === 'int8' ? 'symmetric, per tensor' : 'asymmetric, per column');
        }
      });
    }

    it('every output runs in onnxruntime; the fp32 one gives PEFT’s merged output', async () => {
      const e = readGolden(FOLDER_CASE, 'expected.safetensors');
      const x = toF32(e.get('input.x')!);
      for (const v of ALL) {
        const session = await ort.InferenceSession.create(join(out, 'onnx', variantFile(v)), QUIET);
        try {
          const y = (await session.run({ x: new ort.Tensor('float32', x.data, [...x.shape]) }))['y']!;
          const data = y.data as Float32Array;
          expect(data.every(Number.isFinite)).toBe(true);
          if (v === 'fp32')
            expectClose(tensor('f32', y.dims, data), e.get('output.merged')!, F32_MODEL, 'fp32 merged output');
        } finally {
          await session.release();
        }
      }
    });

    it.runIf(CHECKER)('the float variants pass onnx.checker', () => {
      checkOnnxFiles([join(out, 'onnx', 'model.onnx'), join(out, 'onnx', 'model_fp16.onnx')]);
    });
  });
});

describe('variants the folder commands do not handle', () => {
  /** A folder with a working fp32 model and one the commands cannot process. */
  async function folderWith(name: string, extra: (onnxDir: string) => Promise<void>): Promise<string> {
    const folder = await writeTestFolder(join(dir, name), ['fp32']);
    await extra(join(folder, 'onnx'));
    return folder;
  }

  it('folder-merge/bnb4: a MatMulBnb4 model is named in one UnsupportedError by merge and inject, or skipped on request', async () => {
    const folder = await folderWith('bnb4', async (onnxDir) => {
      const g = new GraphBuilder();
      g.input('x', 'f32', [1, 64]);
      const b = g.init('w_bnb4', tensor('u8', [(64 * 64) / 2], new Uint8Array(64 * 32)));
      const absmax = g.init('absmax', tensor('f32', [128], new Float32Array(128).fill(1)));
      g.op(
        'MatMulBnb4',
        ['x', b, absmax],
        { K: { i: 64 }, N: { i: 64 }, block_size: { i: 32 }, quant_type: { i: 1 } },
        { domain: 'com.microsoft', outputs: ['y'], name: '/model/layers.0/self_attn/q_proj/MatMul_Bnb4' },
      );
      g.output('y', 'f32', [1, 64]);
      const model = g.model();
      model.opsetImport!.push({ domain: 'com.microsoft', version: 1 });
      writeFileSync(join(onnxDir, 'model_bnb4.onnx'), encodeOnnxModel(model));
    });
    for (const command of [mergeModelFolder, injectModelFolder]) {
      const out = join(dir, `bnb4-${command.name}`);
      const err = await command(adapter, folder, out).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnsupportedError);
      expect((err as Error).message).toMatch(
        /onnx\/model_bnb4\.onnx: bitsandbytes FP4\/NF4 4-bit weights \(MatMulBnb4\)/,
      );
      expect(existsSync(out)).toBe(false);
      const report = await command(adapter, folder, out, { skipUnsupported: true });
      expect(report.variants.map((v) => [v.file, v.action])).toEqual([
        ['model.onnx', command === mergeModelFolder ? 'merged' : 'injected'],
        ['model_bnb4.onnx', 'skipped'],
      ]);
      expect(readdirSync(join(out, 'onnx'))).toEqual(['model.onnx']);
    }
    noStaging();
  });

  it('folder-merge/chunked: weights split over several external data files are refused before anything is written', async () => {
    const folder = await folderWith('chunked', async (onnxDir) => {
      const model = await readOnnxModel(join(onnxDir, 'model.onnx'));
      const inits = model.proto.graph!.initializer!;
      // the two largest weights in two data files, as transformers.js' model.onnx_data, model.onnx_data_1
      const big = [...inits].sort((a, b) => (b.rawData?.length ?? 0) - (a.rawData?.length ?? 0)).slice(0, 2);
      big.forEach((t, i) => {
        const file = i === 0 ? 'model_fp16.onnx_data' : 'model_fp16.onnx_data_1';
        writeFileSync(join(onnxDir, file), t.rawData!);
        t.externalData = [
          { key: 'location', value: file },
          { key: 'offset', value: '0' },
          { key: 'length', value: String(t.rawData!.length) },
        ];
        t.dataLocation = 1;
        t.rawData = new Uint8Array(0);
      });
      writeFileSync(join(onnxDir, 'model_fp16.onnx'), encodeOnnxModel(model.proto));
    });
    const out = join(dir, 'chunked-out');
    const err = await mergeModelFolder(adapter, folder, out).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as Error).message).toMatch(/onnx\/model_fp16\.onnx: its weights are split over 2 external data files/);
    expect(existsSync(out)).toBe(false);
  });
});
