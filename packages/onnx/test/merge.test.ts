import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  f32ArrayToF16,
  linear,
  merge,
  mergeIntoStateDict,
  referenceBackend,
  tensor,
  toF32,
  composeAdapter,
  type HostTensor,
} from '@vblora/core';
import { PEFT_GOLDEN_CASES, peftGoldenPath, type PeftGoldenCase } from '@vblora/conformance';
import {
  decodeOnnxModel,
  encodeOnnxModel,
  GraphBuilder,
  mapGraphModules,
  mergeOnnxFile,
  mergeOnnxModel,
  ModuleMappingError,
  readOnnxModel,
  readTensorData,
  writeOnnxModel,
} from '@vblora/onnx';
import { readGolden, toyModelBytes } from './fixtures/toy-models.js';
import { transpose2d } from '../src/host/transpose-2d.js';
import { CHECKER, checkOnnxFiles } from './helpers/checker.js';
import { BF16_WEIGHT, expectClose, F32_WEIGHT, goldenAdapter, hasTies, modelTolerance } from './helpers/golden.js';
import { runToy } from './helpers/ort.js';
import { tempDir } from './helpers/tmp.js';

const dir = tempDir('merge');
const written: string[] = [];

/** The reference output of the tied edge case (ToyLinear): x·W_mergedᵀ with core's own merge. */
async function referenceMergedOutput(c: PeftGoldenCase): Promise<HostTensor> {
  const merged = await mergeIntoStateDict(await goldenAdapter(c), readGolden(c, 'base.safetensors'));
  const x = readGolden(c, 'expected.safetensors').get('input.x')! as HostTensor<'f32'>;
  return linear({ x, weight: merged.get('proj.weight')! as HostTensor<'f32'> });
}

describe('merge mode reproduces PEFT’s merged model', () => {
  for (const c of PEFT_GOLDEN_CASES) {
    for (const style of ['torch', 'named'] as const) {
      it(`${c} (${style} export)`, async () => {
        const basePath = join(dir, `${c}-${style}.onnx`);
        const baseBytes = toyModelBytes(c, { style });
        writeFileSync(basePath, baseBytes);
        const out = join(dir, `${c}-${style}.merged.onnx`);
        const report = await mergeOnnxFile(peftGoldenPath(c, 'adapter_full'), basePath, out);
        written.push(out);
        expect(report.patchedInPlace).toBe(true);
        expect(report.warnings).toEqual([]);
        const e = readGolden(c, 'expected.safetensors');
        const y = await runToy(out, e.get('input.x')!);
        // tied logits rows: torch's pick among equals is implementation-defined, so compare with core's reference
        const expected = hasTies(c) ? await referenceMergedOutput(c) : e.get('output.merged')!;
        expectClose(y, expected, modelTolerance(c), `${c} ${style} merged output`);

        // merged initializers: PEFT's merged weights, stored transposed where the graph keeps (in, out)
        const merged = await readOnnxModel(out);
        const mapping = mapGraphModules(merged);
        const adapter = await goldenAdapter(c);
        for (const path of hasTies(c) ? [] : adapter.modules.keys()) {
          const layer = mapping.require(path)[0]!;
          const w = await readTensorData(merged, mapping.index.initializers.get(layer.weight)!);
          const want = e.get(`layer.${path}.merged_weight`)!; // PyTorch layout
          const torchLayout = layer.kind === 'linear' ? 'out_in' : 'in_out';
          expect(w.dtype).toBe(want.dtype);
          expectClose(
            w,
            layer.layout === torchLayout ? want : transpose2d(want),
            want.dtype === 'bf16' ? BF16_WEIGHT : F32_WEIGHT,
            path,
          );
        }

        // everything but the replaced tensors is byte-identical to the input
        const outBytes = readFileSync(out);
        expect(outBytes.length).toBe(baseBytes.length);
        const changed = new Uint8Array(baseBytes.length);
        const baseModel = decodeOnnxModel(baseBytes);
        for (const t of baseModel.proto.graph!.initializer!) {
          if (report.replaced.includes(t.name!))
            changed.fill(1, t.rawData!.byteOffset, t.rawData!.byteOffset + t.rawData!.length);
        }
        let differing = 0;
        for (let i = 0; i < baseBytes.length; i++) if (changed[i] === 0 && outBytes[i] !== baseBytes[i]) differing++;
        expect(differing).toBe(0);
      });
    }
  }

  it('merges a top-k checkpoint to the same model (within f32 rounding of the reloaded weights)', async () => {
    const c = 'llama_f32_vl16_nv64_top2';
    const model = decodeOnnxModel(toyModelBytes(c, { style: 'torch' }), { ownsBytes: true });
    const out = join(dir, 'topk.merged.onnx');
    await mergeOnnxModel(model, await goldenAdapter(c, 'adapter_topk'), out);
    written.push(out);
    const e = readGolden(c, 'expected.safetensors');
    expectClose(
      await runToy(out, e.get('input.x')!),
      e.get('output.merged')!,
      modelTolerance(c),
      'top-k merged output',
    );
  });

  it('keeps external data external, streaming the merged weights into a new data file', async () => {
    const c = 'llama_bf16_vl16_nv256_top2_layer1_bias';
    const sub = join(dir, 'external');
    mkdirSync(sub);
    await writeOnnxModel(decodeOnnxModel(toyModelBytes(c, { style: 'torch' })), join(sub, 'base.onnx'), {
      externalData: { threshold: 256 },
    });
    const progress: string[] = [];
    const out = join(sub, 'merged.onnx');
    const report = await mergeOnnxFile(await goldenAdapter(c), join(sub, 'base.onnx'), out, {
      onProgress: (done, total, source) => progress.push(`${done}/${total} ${source}`),
    });
    written.push(out);
    expect(report.patchedInPlace).toBe(false);
    expect(report.dataPath).toBe(join(sub, 'merged.onnx.data'));
    expect(progress).toHaveLength(report.replaced.length);
    expect(progress.at(-1)).toMatch(/^7\/7 /); // 4 weights + 3 trained biases
    const e = readGolden(c, 'expected.safetensors');
    expectClose(
      await runToy(out, e.get('input.x')!),
      e.get('output.merged')!,
      modelTolerance(c),
      'external merged output',
    );
  });

  it('keeps f16 initializers f16, rounded as PEFT rounds them', async () => {
    const c = 'edge_topk3_ties_zero_nan';
    const w32 = readGolden(c, 'base.safetensors').get('proj.weight')! as HostTensor<'f32'>;
    const w16 = tensor('f16', w32.shape, f32ArrayToF16(w32.data));
    const g = new GraphBuilder();
    g.input('x', 'f16', ['n', 32]);
    g.init('proj.weight', w16);
    g.op('Gemm', ['x', 'proj.weight'], { transB: { i: 1 } }, { outputs: ['y'] });
    g.output('y', 'f16', ['n', 32]);
    const out = join(dir, 'f16.merged.onnx');
    const adapter = await goldenAdapter(c);
    await mergeOnnxModel(decodeOnnxModel(encodeOnnxModel(g.model())), adapter, out);
    written.push(out);
    const merged = await readOnnxModel(out);
    const got = await readTensorData(merged, merged.proto.graph!.initializer![0]!);
    const { A, B } = (await composeAdapter(adapter)).get('proj')!;
    const want = merge({ weight: w16, A, B });
    expect(got.dtype).toBe('f16');
    expect(Array.from(got.data as Uint16Array)).toEqual(Array.from(want.data)); // same kernel, same bits
    expect(Array.from(toF32(got).data).some((v, i) => v !== toF32(w16).data[i])).toBe(true);
  });

  it('refuses an adapter of another model, naming the nearest modules, and writes nothing', async () => {
    const basePath = join(dir, 'llama-for-gpt2.onnx');
    writeFileSync(basePath, toyModelBytes('llama_f32_vl16_nv64_top2', { style: 'torch' }));
    const out = join(dir, 'never.onnx');
    const err = await mergeOnnxFile(
      peftGoldenPath('gpt2_conv1d_fan_in_fan_out_f32', 'adapter_full'),
      basePath,
      out,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModuleMappingError);
    expect((err as ModuleMappingError).module).toBe('transformer.h.0.attn.c_attn');
    expect((err as ModuleMappingError).candidates.length).toBeGreaterThan(0);
    expect(existsSync(out)).toBe(false);
  });

  it('runs the merge kernels of the backend it is given', async () => {
    const calls: string[] = [];
    const spy = {
      ...referenceBackend,
      name: 'spy',
      kernels: {
        ...referenceBackend.kernels,
        merge: ((args: Parameters<NonNullable<typeof referenceBackend.kernels.merge>>[0]) => {
          calls.push(args.module ?? '');
          return referenceBackend.kernels.merge!(args);
        }) as NonNullable<typeof referenceBackend.kernels.merge>,
      },
    };
    const c = 'edge_topk3_ties_zero_nan';
    await mergeOnnxModel(
      decodeOnnxModel(toyModelBytes(c, { style: 'named' })),
      await goldenAdapter(c),
      join(dir, 'spy.onnx'),
      { backend: spy },
    );
    expect(calls).toEqual(['proj']);
  });
});

describe('onnx.checker', () => {
  it.skipIf(!CHECKER)('accepts every merged model (full_check)', () => {
    checkOnnxFiles(written);
  });
});
