/**
 * ToyLlama forward on the GPU against PEFT's golden outputs (torch 1.13, CPU, float32).
 *
 * Accuracy: WHOLE_MODEL_TOLERANCES.webgpuF32 from @vblora/conformance (|a − e| ≤ 1e-6 + 1e-5·|e|, the value of
 * core's F32_TOL) against `output.base` and `output.adapter`. The GPU sums every dot product in order and uses
 * its own exp, torch's sgemm and softmax sum in blocks, so the last bits differ.
 * Measured on Dawn/SwiftShader (max abs error; outputs are O(1)):
 *
 * | case | base | adapter (full logits) | adapter (top-k) |
 * |---|---|---|---|
 * | llama_f32_vl16_nv64_top2 | 3.0e-7 | 4.2e-7 | 4.8e-7 |
 * | llama_f32_vl32_nv300_top3_regex | 4.8e-7 | 5.4e-7 | 4.8e-7 |
 */
import {
  AdapterError,
  compareTensors,
  composeAdapter,
  ShapeError,
  tensor,
  UnsupportedError,
  type HostTensor,
} from '@vblora/core';
import { WHOLE_MODEL_TOLERANCES } from '@vblora/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeAdapterOnGpu, createToyLlamaGpu, GpuTensorError, type WebGpuRuntime } from '../src/index.js';
import { bitExact } from './helpers/exact.js';
import { goldenAdapter, goldenTensors, need } from './helpers/golden.js';
import { openRuntime } from './helpers/gpu.js';

let rt: WebGpuRuntime | undefined;
beforeAll(async () => {
  rt = await openRuntime();
});
afterAll(() => rt?.dispose());

const F32_MODEL = WHOLE_MODEL_TOLERANCES.webgpuF32;

/** Max abs error of `actual` vs `expected`, asserting the whole-model tolerance element by element. */
function expectF32Tol(actual: HostTensor, expected: HostTensor, label: string): number {
  const r = compareTensors(actual, expected, F32_MODEL);
  expect(r.ok, `${label}: max abs ${r.maxAbs}, worst ${JSON.stringify(r.worst)}`).toBe(true);
  return r.maxAbs;
}

const CASES = ['llama_f32_vl16_nv64_top2', 'llama_f32_vl32_nv300_top3_regex'] as const;
const FLAVOURS = ['adapter_full', 'adapter_topk'] as const;

describe('ToyLlama on WebGPU vs PEFT (webgpuF32: atol 1e-6 + rtol 1e-5)', () => {
  for (const c of CASES) {
    for (const flavour of FLAVOURS) {
      it(`${c} ${flavour}: output.base without the adapter, output.adapter with A/B from core's composeAdapter`, async (ctx) => {
        if (rt === undefined) return ctx.skip('no WebGPU adapter');
        const expected = goldenTensors(c, 'expected.safetensors');
        const x = need(expected, 'input.x');
        const adapter = await goldenAdapter(c, flavour);
        const model = createToyLlamaGpu(rt, goldenTensors(c, 'base.safetensors'));
        const live = rt.stats().liveBuffers;
        const base = await model.forward(x);
        expect(base.shape).toEqual([2, 5, 32]);
        const errBase = expectF32Tol(base, need(expected, 'output.base'), 'output.base');
        const pairs = await composeAdapter(adapter);
        const y = await model.forward(x, { pairs, extraTensors: adapter.extraTensors });
        const errAdapter = expectF32Tol(y, need(expected, 'output.adapter'), 'output.adapter');
        expect(Math.max(errBase, errAdapter)).toBeLessThan(1e-6);
        // the adapter path ran: its effect is five orders of magnitude above the error
        expect(compareTensors(y, base, F32_MODEL).maxAbs).toBeGreaterThan(1e-2);
        // host A/B, the uploaded x and every activation were freed; the weights stay
        expect(rt.stats().liveBuffers).toBe(live);
        model.dispose();
      });
    }
  }

  it('A/B composed and kept on the GPU give the same output (top-k: the same bits on SwiftShader)', async (ctx) => {
    if (rt === undefined) return ctx.skip('no WebGPU adapter');
    for (const c of CASES) {
      const expected = goldenTensors(c, 'expected.safetensors');
      const x = need(expected, 'input.x');
      const model = createToyLlamaGpu(rt, goldenTensors(c, 'base.safetensors'));
      for (const flavour of FLAVOURS) {
        const adapter = await goldenAdapter(c, flavour);
        const host = await model.forward(x, {
          pairs: await composeAdapter(adapter),
          extraTensors: adapter.extraTensors,
        });
        const pairs = await composeAdapterOnGpu(rt, adapter);
        expect([...pairs.keys()]).toEqual([...adapter.modules.keys()]);
        const y = await model.forward(x, { pairs, extraTensors: adapter.extraTensors });
        expectF32Tol(y, need(expected, 'output.adapter'), `${c} ${flavour} GPU-composed`);
        // from a top-k file, both composes start from the same host-rebuilt weights; from dense logits the GPU's
        // top-k softmax may differ from the reference in the last bit (see docs/webgpu.md)
        if (flavour === 'adapter_topk' && bitExact(rt.adapterName)) expect(y.data).toEqual(host.data);
        // GPU pairs belong to the caller: still alive after the forward
        for (const { A, B } of pairs.values()) {
          expect(A.disposed || B.disposed).toBe(false);
          A.dispose();
          B.dispose();
        }
      }
      model.dispose();
    }
  });

  it("uses the adapter's modules_to_save head (regex case): without it the output misses PEFT's by far", async (ctx) => {
    if (rt === undefined) return ctx.skip('no WebGPU adapter');
    const c = 'llama_f32_vl32_nv300_top3_regex';
    const expected = goldenTensors(c, 'expected.safetensors');
    const adapter = await goldenAdapter(c, 'adapter_topk');
    expect([...adapter.extraTensors.keys()].sort()).toEqual([
      'base_model.model.head.bias',
      'base_model.model.head.weight',
    ]);
    const model = createToyLlamaGpu(rt, goldenTensors(c, 'base.safetensors'));
    const pairs = await composeAdapter(adapter);
    const without = await model.forward(need(expected, 'input.x'), pairs); // a plain map: A/B only
    expect(compareTensors(without, need(expected, 'output.adapter'), F32_MODEL).maxAbs).toBeGreaterThan(1e-2);
    model.dispose();
  });
});

describe('ToyLlama on WebGPU: refusals', () => {
  it('a bf16 model is refused with UnsupportedError (the tf.js backend emulates torch’s half rounding)', async (ctx) => {
    if (rt === undefined) return ctx.skip('no WebGPU adapter');
    const sd = goldenTensors('llama_bf16_vl16_nv256_top2_layer1_bias', 'base.safetensors');
    expect(() => createToyLlamaGpu(rt!, sd)).toThrow(UnsupportedError);
    expect(() => createToyLlamaGpu(rt!, sd)).toThrow(/float32 models only; .* is bf16/);
  });

  it('wrong inputs, adapters and a disposed model throw typed errors, and leak nothing', async (ctx) => {
    if (rt === undefined) return ctx.skip('no WebGPU adapter');
    const c = 'llama_f32_vl16_nv64_top2';
    const sd = goldenTensors(c, 'base.safetensors');
    const x = need(goldenTensors(c, 'expected.safetensors'), 'input.x');
    const model = createToyLlamaGpu(rt, sd);
    expect(model.sizes).toEqual({ hidden: 64, intermediate: 128, layers: 2, nOut: 32 });
    expect(model.modulePaths).toHaveLength(13);
    const live = rt.stats().liveBuffers;
    const pairs = await composeAdapter(await goldenAdapter(c, 'adapter_topk'));
    const q = pairs.get('model.layers.0.self_attn.q_proj')!;
    await expect(model.forward(tensor('f32', [2, 5, 63], new Float32Array(630)))).rejects.toThrow(ShapeError);
    await expect(model.forward(tensor('i32', [1, 64], new Int32Array(64)))).rejects.toThrow(ShapeError);
    await expect(model.forward(x, new Map([['model.layers.0.mlp.gate_proj', q]]))).rejects.toThrow(AdapterError);
    await expect(model.forward(x, new Map([['model.layers.0.mlp.up_proj', q]]))).rejects.toThrow(
      /up_proj: A must be \(r, 64\) and B \(128, r\)/,
    );
    const extra = new Map([['base_model.model.lm_head.weight', need(sd, 'head.weight')]]);
    await expect(model.forward(x, { pairs, extraTensors: extra })).rejects.toThrow(AdapterError);
    const badHead = new Map([['base_model.model.head.bias', need(sd, 'model.layers.0.self_attn.q_proj.bias')]]);
    await expect(model.forward(x, { pairs, extraTensors: badHead })).rejects.toThrow(ShapeError);
    expect(rt.stats().liveBuffers).toBe(live);
    // a 2-D input is one sequence
    const one = await model.forward(tensor('f32', [5, 64], (x.data as Float32Array).slice(0, 320)));
    const both = await model.forward(x);
    expect(Array.from(one.data)).toEqual(Array.from(both.data.slice(0, 160)));
    model.dispose();
    await expect(model.forward(x)).rejects.toThrow(GpuTensorError);
  });
});
