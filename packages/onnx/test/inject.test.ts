import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import {
  adapterForward,
  AdapterError,
  composeAdapter,
  linear,
  toF32,
  UnsupportedError,
  type HostTensor,
  type Tolerance,
  type VBLoRAAdapter,
} from '@vblora/core';
import { PEFT_GOLDEN_CASES, type PeftGoldenCase } from '@vblora/conformance';
import {
  AdapterSession,
  decodeOnnxModel,
  encodeOnnxModel,
  GraphBuilder,
  injectAdapterInputs,
  injectOnnxFile,
  readInjectionInfo,
  readOnnxModel,
  writeOnnxModel,
  type InjectVariant,
} from '@vblora/onnx';
import { readGolden, toyModelBytes } from './fixtures/toy-models.js';
import { truncateRank, withoutExtras } from './helpers/adapters.js';
import { CHECKER, checkOnnxFiles } from './helpers/checker.js';
import { expectClose, goldenAdapter, hasTies, hostOf, modelTolerance } from './helpers/golden.js';
import { QUIET, runToy } from './helpers/ort.js';
import { tempDir } from './helpers/tmp.js';

const dir = tempDir('inject');
const written: string[] = [];
const sessions: AdapterSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
});

/** Rows of one batched run against rows of other runs: same math, possibly another matmul blocking. */
const ROWS: Tolerance = { atol: 1e-7, rtol: 1e-6 };

const feedsOf = (x: HostTensor) => {
  const xs = toF32(x);
  return { x: new ort.Tensor('float32', xs.data, [...xs.shape]) };
};

/** Core's reference for the one-layer edge case: y = x·Wᵀ + (x·Aᵀ)·Bᵀ. */
async function referenceAdapterOutput(c: PeftGoldenCase, adapter: VBLoRAAdapter): Promise<HostTensor> {
  const x = readGolden(c, 'expected.safetensors').get('input.x')! as HostTensor<'f32'>;
  const { A, B } = (await composeAdapter(adapter)).get('proj')!;
  const baseOut = linear({ x, weight: readGolden(c, 'base.safetensors').get('proj.weight')! as HostTensor<'f32'> });
  return adapterForward({ x, baseOut, A, B });
}

async function session(
  c: PeftGoldenCase,
  style: 'torch' | 'named',
  variant: InjectVariant,
  adapter: VBLoRAAdapter,
): Promise<AdapterSession> {
  const injected = await injectAdapterInputs(decodeOnnxModel(toyModelBytes(c, { style })), { adapter, variant });
  expect(injected.warnings).toEqual([]);
  const path = join(dir, `${c}-${style}-${variant}.onnx`);
  await writeOnnxModel(injected.model, path);
  written.push(path);
  const s = await AdapterSession.create(path, { sessionOptions: QUIET });
  sessions.push(s);
  return s;
}

describe('inject mode reproduces PEFT’s adapter outputs, switching adapters without a new session', () => {
  const runs: [PeftGoldenCase, 'torch' | 'named', InjectVariant][] = [
    ...PEFT_GOLDEN_CASES.flatMap((c) =>
      (['lowrank', 'topk'] as const).map((v) => [c, 'torch', v] as [PeftGoldenCase, 'torch', InjectVariant]),
    ),
    ...PEFT_GOLDEN_CASES.map((c) => [c, 'named', 'lowrank'] as [PeftGoldenCase, 'named', InjectVariant]),
  ];
  for (const [c, style, variant] of runs) {
    it(`${c} (${style} export, ${variant} inputs)`, async () => {
      const full = await goldenAdapter(c, 'adapter_full');
      const topk = await goldenAdapter(c, 'adapter_topk');
      const s = await session(c, style, variant, full);
      await s.loadAdapter('full', full);
      await s.loadAdapter('topk', topk);
      const e = readGolden(c, 'expected.safetensors');
      const feeds = feedsOf(e.get('input.x')!);
      const tol = modelTolerance(c);
      const yFull = hostOf((await s.run(feeds, { adapter: 'full' }))['y']!);
      const yBase = hostOf((await s.run(feeds))['y']!);
      const yTopk = hostOf((await s.run(feeds, { adapter: 'topk' }))['y']!);
      const yAgain = hostOf((await s.run(feeds, { adapter: 'full' }))['y']!);
      const tied = hasTies(c);
      expectClose(yFull, tied ? await referenceAdapterOutput(c, full) : e.get('output.adapter')!, tol, 'adapter on');
      expectClose(yBase, e.get('output.base')!, tol, 'no adapter = base model');
      // zero adapter terms leave every base output as it was: the same bits as the base model on onnxruntime
      expect(Array.from(yBase.data)).toEqual(
        Array.from((await runToy(toyModelBytes(c, { style }), e.get('input.x')!)).data),
      );
      // PEFT reloads the edge case's top-k file as NaN (SPEC §5.4); ours is finite: compare with core's reference
      const topkWant =
        c === 'edge_topk3_ties_zero_nan'
          ? await referenceAdapterOutput(c, topk)
          : e.get('output.reload_topk.from_pretrained')!;
      expectClose(yTopk, topkWant, tol, 'top-k checkpoint');
      expect(Array.from(yAgain.data)).toEqual(Array.from(yFull.data)); // switching back gives the same bits
      if (full.extraTensors.size === 0) {
        // mixed batch: row 0 with the adapter, row 1 without
        const yMixed = hostOf((await s.run(feeds, { rows: ['full', null] }))['y']!);
        const half = yMixed.data.length / 2;
        const rows = (t: HostTensor<'f32'>, from: number, to: number) => ({
          ...t,
          shape: [to - from],
          data: t.data.subarray(from, to),
        });
        expectClose(rows(yMixed, 0, half), rows(yFull, 0, half), ROWS, 'mixed row 0 = adapter run');
        expectClose(rows(yMixed, half, 2 * half), rows(yBase, half, 2 * half), ROWS, 'mixed row 1 = base run');
      } else {
        await expect(s.run(feeds, { rows: ['full', null] })).rejects.toThrow(/cannot differ between the rows/);
      }
    });
  }
});

describe('AdapterSession', () => {
  const c = 'llama_f32_vl16_nv64_top2';

  it('serves adapters of different rank and vector length in one batch (lowrank inputs)', async () => {
    const a = await goldenAdapter(c);
    const b = truncateRank(a, 2);
    const other = withoutExtras(await goldenAdapter('llama_f32_vl32_nv300_top3_regex')); // vl 32, nv 300, k 3
    const s = await session(c, 'torch', 'lowrank', a);
    await s.loadAdapter('a', a);
    await s.loadAdapter('b', b);
    await s.loadAdapter('other', other);
    const x = readGolden(c, 'expected.safetensors').get('input.x')!;
    const feeds = feedsOf(x);
    const single = await Promise.all(
      ['a', 'b', 'other'].map(async (n) => hostOf((await s.run(feeds, { adapter: n }))['y']!)),
    );
    const y = hostOf((await s.run(feeds, { rows: ['b', 'other'] }))['y']!);
    const half = y.data.length / 2;
    expectClose(
      { ...y, shape: [half], data: y.data.subarray(0, half) },
      { ...single[1]!, shape: [half], data: single[1]!.data.subarray(0, half) },
      ROWS,
      'row 0 = b',
    );
    expectClose(
      { ...y, shape: [half], data: y.data.subarray(half) },
      { ...single[2]!, shape: [half], data: single[2]!.data.subarray(half) },
      ROWS,
      'row 1 = other',
    );
    expect(Array.from(single[0]!.data)).not.toEqual(Array.from(single[1]!.data));
    expect(s.adapterNames).toEqual(['a', 'b', 'other']);
    expect(s.inputNames).toEqual(['x']);
    expect(s.unloadAdapter('b')).toBe(true);
    await expect(s.run(feeds, { adapter: 'b' })).rejects.toThrow(AdapterError);
  });

  it('mixes adapters of equal vector length in the topk variant, and refuses different ones', async () => {
    const a = await goldenAdapter(c);
    const s = await session(c, 'named', 'topk', a);
    await s.loadAdapter('a', a);
    await s.loadAdapter('a2', truncateRank(a, 2));
    await s.loadAdapter('vl32', withoutExtras(await goldenAdapter('llama_f32_vl32_nv300_top3_regex')));
    const feeds = feedsOf(readGolden(c, 'expected.safetensors').get('input.x')!);
    const ya2 = hostOf((await s.run(feeds, { adapter: 'a2' }))['y']!);
    const y = hostOf((await s.run(feeds, { rows: ['a', 'a2'] }))['y']!);
    const half = y.data.length / 2;
    expectClose(
      { ...y, shape: [half], data: y.data.subarray(half) },
      { ...ya2, shape: [half], data: ya2.data.subarray(half) },
      ROWS,
      'row 1 = a2',
    );
    await expect(s.run(feeds, { rows: ['a', 'vl32'] })).rejects.toThrow(UnsupportedError);
  });

  it('rejects adapters for modules without a branch', async () => {
    const a = await goldenAdapter(c);
    const injected = await injectAdapterInputs(decodeOnnxModel(toyModelBytes(c, { style: 'torch' })), {
      modules: ['model.layers.0.self_attn.q_proj'],
    });
    const s = await AdapterSession.create(injected.model, { sessionOptions: QUIET });
    sessions.push(s);
    await expect(s.loadAdapter('a', a)).rejects.toThrow(/no VB-LoRA branch for/);
  });
});

describe('injectAdapterInputs', () => {
  it("picks modules with PEFT's targeting of a config", async () => {
    const c = 'llama_bf16_vl16_nv256_top2_layer1_bias';
    const { info } = await injectAdapterInputs(decodeOnnxModel(toyModelBytes(c, { style: 'torch' })), {
      config: {
        target_modules: ['q_proj', 'v_proj'],
        layers_to_transform: [1],
        layers_pattern: 'layers',
        vector_length: 16,
      },
    });
    expect(info.modules.map((m) => m.path)).toEqual([
      'model.layers.1.self_attn.q_proj',
      'model.layers.1.self_attn.v_proj',
    ]);
    expect(info.overrides).toEqual([]);
  });

  it('records its inputs in the model metadata and refuses to inject twice', async () => {
    const c = 'gpt2_conv1d_fan_in_fan_out_f32';
    const injected = await injectAdapterInputs(decodeOnnxModel(toyModelBytes(c, { style: 'torch' })), {
      adapter: await goldenAdapter(c),
      variant: 'topk',
    });
    const info = readInjectionInfo(injected.model.proto)!;
    expect(info).toEqual(injected.info);
    expect(info.bankInput).toBe('vblora.bank');
    expect(info.modules[0]).toMatchObject({
      path: 'transformer.h.0.attn.c_attn',
      inFeatures: 64,
      outFeatures: 192,
      uses: 1,
    });
    await expect(injectAdapterInputs(injected.model, { modules: ['transformer.h.0.attn.c_attn'] })).rejects.toThrow(
      UnsupportedError,
    );
  });

  it('injects a model with external data, file to file', async () => {
    const c = 'llama_f32_vl32_nv300_top3_regex';
    const sub = join(dir, 'external');
    mkdirSync(sub);
    await writeOnnxModel(decodeOnnxModel(toyModelBytes(c, { style: 'named' })), join(sub, 'base.onnx'), {
      externalData: { threshold: 1024 },
    });
    const adapter = await goldenAdapter(c);
    const out = join(sub, 'injected.onnx');
    const report = await injectOnnxFile(join(sub, 'base.onnx'), out, { adapter });
    written.push(out);
    expect(report.dataPath).toBe(join(sub, 'injected.onnx.data'));
    expect((await readOnnxModel(out)).proto.graph!.initializer!.some((t) => t.dataLocation === 1)).toBe(true);
    const s = await AdapterSession.create(out, { sessionOptions: QUIET });
    sessions.push(s);
    await s.loadAdapter('a', adapter);
    const e = readGolden(c, 'expected.safetensors');
    expectClose(
      hostOf((await s.run(feedsOf(e.get('input.x')!), { adapter: 'a' }))['y']!),
      e.get('output.adapter')!,
      modelTolerance(c),
      'external',
    );
  });

  it('leaves plain onnxruntime users a model that runs with explicit zero adapters', async () => {
    const c = 'edge_topk3_ties_zero_nan';
    const injected = await injectAdapterInputs(decodeOnnxModel(toyModelBytes(c, { style: 'torch' })), {
      modules: ['proj'],
    });
    const path = join(dir, 'plain-ort.onnx');
    await writeOnnxModel(injected.model, path);
    written.push(path);
    const plain = await ort.InferenceSession.create(path, QUIET);
    const e = readGolden(c, 'expected.safetensors');
    const out = await plain.run({
      ...feedsOf(e.get('input.x')!),
      'vblora.row_adapter': new ort.Tensor('int64', new BigInt64Array(1), [1]),
      'vblora.proj.A': new ort.Tensor('float32', new Float32Array(32), [1, 1, 32]),
      'vblora.proj.B': new ort.Tensor('float32', new Float32Array(32), [1, 32, 1]),
    });
    await plain.release();
    expectClose(hostOf(out['y']!), e.get('output.base')!, modelTolerance(c), 'zero adapter');
    writeFileSync(join(dir, 'unused'), '');
  });
});

describe('a layer whose output is a graph output', () => {
  it('keeps the output name and adds the adapter term (core adapterForward as reference)', async () => {
    const c = 'edge_topk3_ties_zero_nan';
    const weight = readGolden(c, 'base.safetensors').get('proj.weight')! as HostTensor<'f32'>;
    const g = new GraphBuilder();
    g.input('x', 'f32', ['n', 32]);
    g.init('W', weight);
    g.op('Gemm', ['x', 'W'], { transB: { i: 1 } }, { name: 'fc', outputs: ['y'] });
    g.output('y', 'f32', ['n', 32]);
    const adapter = await goldenAdapter(c);
    const injected = await injectAdapterInputs(decodeOnnxModel(encodeOnnxModel(g.model())), {
      adapter,
      moduleMap: { proj: 'fc' },
    });
    const path = join(dir, 'graph-output.onnx');
    await writeOnnxModel(injected.model, path);
    written.push(path);
    const s = await AdapterSession.create(path, { sessionOptions: QUIET });
    sessions.push(s);
    await s.loadAdapter('a', adapter);
    expect(s.outputNames).toEqual(['y']);
    const x = readGolden(c, 'expected.safetensors').get('layer.proj.probe_x')! as HostTensor<'f32'>;
    const y = hostOf((await s.run(feedsOf(x), { adapter: 'a' }))['y']!);
    const { A, B } = (await composeAdapter(adapter)).get('proj')!;
    // adapterForward's declared float32 accuracy: different summation order in the matmuls
    expectClose(
      y,
      adapterForward({ x, baseOut: linear({ x, weight }), A, B }),
      { atol: 1e-6, rtol: 1e-5 },
      'graph output',
    );
  });
});

describe('onnx.checker', () => {
  it.skipIf(!CHECKER)('accepts every injected model (full_check)', () => {
    checkOnnxFiles(written);
  });
});
