/**
 * `prepareAdapter` for a topk-injected model reloads every stored top-k factor in one pass over their rows laid end
 * to end. Checked on the tiny Llama's PEFT adapter vblora-b (stored top-k, k = 2, 14 modules): each module's indices
 * and weights are bit for bit those of core's `reloadTopkWeights` on that factor alone (tolerance 0), and a stored
 * weight out of range is reported with the factor's own row, as the one-factor reload reports it.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tinyLlamaPath } from '@vblora/conformance/fixtures';
import { NumericalError, reloadTopkWeights, toF32, type Factor, type VBLoRAAdapter } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { injectAdapterInputs, prepareAdapter, readOnnxModel } from '@vblora/onnx';

const PRESENT = existsSync(tinyLlamaPath('onnx', 'model.onnx'));
if (!PRESENT && process.env['CI'] === 'true') throw new Error('the tiny-llama fixture is missing');

const alone = (f: Factor, k: number) => {
  if (f.kind !== 'topk') throw new Error('expected a stored top-k factor');
  return reloadTopkWeights(f.indices, toF32(f.weights), k);
};

describe.skipIf(!PRESENT)('prepareAdapter, topk variant', () => {
  it('gives every module the bits of a one-factor reload', async () => {
    const { adapter } = await readAdapterDir(tinyLlamaPath('adapters', 'vblora-b'));
    const { info } = await injectAdapterInputs(await readOnnxModel(tinyLlamaPath('onnx', 'model.onnx')), {
      adapter,
      variant: 'topk',
    });
    const prepared = await prepareAdapter(info, 'b', adapter);
    expect(prepared.topk.size).toBe(adapter.modules.size);
    const k = adapter.config.topk;
    for (const m of adapter.modules.values()) {
      const got = prepared.topk.get(m.path)!;
      const a = alone(m.a, k);
      const b = alone(m.b, k);
      expect(Array.from(got.aIndices), m.path).toEqual(Array.from(a.indices.data));
      expect(Array.from(got.aWeights), m.path).toEqual(Array.from(a.weights.data));
      expect(Array.from(got.bIndices), m.path).toEqual(Array.from(b.indices.data));
      expect(Array.from(got.bWeights), m.path).toEqual(Array.from(b.weights.data));
    }
  });

  it('reports a stored weight out of range at the row of its own factor', async () => {
    const { adapter } = await readAdapterDir(tinyLlamaPath('adapters', 'vblora-b'));
    const { info } = await injectAdapterInputs(await readOnnxModel(tinyLlamaPath('onnx', 'model.onnx')), {
      adapter,
      variant: 'topk',
    });
    const last = [...adapter.modules.values()].at(-1)!;
    if (last.b.kind !== 'topk') throw new Error('expected a stored top-k factor');
    const weights = toF32(last.b.weights);
    const data = Float32Array.from(weights.data);
    data[3] = 1.5;
    const bad = { ...last, b: { ...last.b, weights: { ...weights, data } } } as typeof last;
    const modules = new Map(adapter.modules);
    modules.set(last.path, bad);
    const tampered: VBLoRAAdapter = { ...adapter, modules };
    let want: unknown;
    try {
      alone(bad.b, adapter.config.topk);
    } catch (err) {
      want = err;
    }
    expect(want).toBeInstanceOf(NumericalError);
    await expect(prepareAdapter(info, 'b', tampered)).rejects.toThrow((want as Error).message);
  });
});
