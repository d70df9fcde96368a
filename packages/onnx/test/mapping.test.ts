import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveTargets, type VBLoRAConfig } from '@vblora/core';
import { PEFT_GOLDEN_CASES, peftGoldenPath, type PeftGoldenCase } from '@vblora/conformance';
import { mapGraphModules, modulePathFromScope, ModuleMappingError, type GraphModule } from '@vblora/onnx';
import { toyModel } from './fixtures/toy-models.js';
import { goldenAdapter } from './helpers/golden.js';
import { editDistance, MAX_COMPARED, nearestNames } from '../src/mapping/nearest.js';

const LLAMA_PATHS = [0, 1].flatMap((i) =>
  ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj', 'mlp.up_proj', 'mlp.down_proj'].map(
    (m) => `model.layers.${i}.${m}`,
  ),
);
const GPT2_PATHS = [0, 1].flatMap((i) =>
  ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'].map((m) => `transformer.h.${i}.${m}`),
);

const summary = (l: GraphModule) => ({ kind: l.kind, layout: l.layout, op: l.opType, source: l.source });

describe('module mapping', () => {
  it('reads torch exporter scopes: /model/layers.0/self_attn/q_proj/MatMul with an anonymous (in, out) weight', () => {
    const m = mapGraphModules(toyModel('llama_f32_vl16_nv64_top2', { style: 'torch' }));
    expect([...m.byPath.keys()]).toEqual([...LLAMA_PATHS, 'head']); // the attention MatMuls have no weight: not layers
    const q = m.require('model.layers.0.self_attn.q_proj')[0]!;
    expect(summary(q)).toEqual({ kind: 'linear', layout: 'in_out', op: 'MatMul', source: 'scope' });
    expect(q.weight).toMatch(/^onnx::MatMul_\d+$/);
    expect(q.node).toBe('/model/layers.0/self_attn/q_proj/MatMul');
    expect(q.bias).toBe('model.layers.0.self_attn.q_proj.bias');
    expect(q.output).toBe('/model/layers.0/self_attn/q_proj/Add_output_0'); // the layer output includes its bias
    expect([q.inFeatures, q.outFeatures]).toEqual([64, 64]);
    const up = m.require('model.layers.1.mlp.up_proj')[0]!;
    expect([up.inFeatures, up.outFeatures]).toEqual([64, 128]);
    const o = m.require('model.layers.0.self_attn.o_proj')[0]!;
    expect(o.bias).toBeNull();
    expect(o.output).toBe('/model/layers.0/self_attn/o_proj/MatMul_output_0');
  });

  it('reads weight names: Gemm(transB=1) on a PEFT-named (out, in) weight', () => {
    const m = mapGraphModules(toyModel('llama_f32_vl16_nv64_top2', { style: 'named' }));
    expect([...m.byPath.keys()]).toEqual([...LLAMA_PATHS, 'head']);
    const down = m.require('model.layers.1.mlp.down_proj')[0]!;
    expect(summary(down)).toEqual({ kind: 'linear', layout: 'out_in', op: 'Gemm', source: 'initializer' });
    expect(down.weight).toBe('model.layers.1.mlp.down_proj.weight');
    expect([down.inFeatures, down.outFeatures]).toEqual([128, 64]);
  });

  it('recognises GPT-2 Conv1D layers: Gemm(transB=0) and MatMul + Add on (in, out) weights', () => {
    for (const [style, op] of [
      ['torch', 'Gemm'],
      ['named', 'MatMul'],
    ] as const) {
      const m = mapGraphModules(toyModel('gpt2_conv1d_fan_in_fan_out_f32', { style }));
      expect([...m.byPath.keys()], style).toEqual(GPT2_PATHS);
      const attn = m.require('transformer.h.0.attn.c_attn')[0]!;
      expect(summary(attn), style).toEqual({ kind: 'conv1d', layout: 'in_out', op, source: 'initializer' });
      expect([attn.inFeatures, attn.outFeatures]).toEqual([64, 192]);
      expect(attn.bias).toBe('transformer.h.0.attn.c_attn.bias');
    }
  });

  it('sees through Cast nodes of bf16 weights and ends the layer at its bf16 rounding', () => {
    const m = mapGraphModules(toyModel('llama_bf16_vl16_nv256_top2_layer1_bias', { style: 'torch' }));
    const q = m.require('model.layers.1.self_attn.q_proj')[0]!;
    expect([q.weightDtype, q.computeDtype, q.outputDtype]).toEqual(['bf16', 'f32', 'bf16']);
    expect(q.bias).toBe('model.layers.1.self_attn.q_proj.bias');
  });

  it('fails with the nearest candidates when a module cannot be mapped', () => {
    const m = mapGraphModules(toyModel('llama_f32_vl16_nv64_top2', { style: 'torch' }));
    const err = (() => {
      try {
        m.require('model.layers.0.self_attn.q_prj');
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(ModuleMappingError);
    expect((err as ModuleMappingError).module).toBe('model.layers.0.self_attn.q_prj');
    expect((err as ModuleMappingError).candidates[0]).toBe('model.layers.0.self_attn.q_proj');
    expect((err as Error).message).toMatch(/nearest: model\.layers\.0\.self_attn\.q_proj/);
    expect((err as Error).message).toMatch(/moduleMap/);
  });

  it('maps nameless layers only through a user moduleMap (node or initializer names)', () => {
    const model = toyModel('llama_f32_vl16_nv64_top2', { style: 'torch', stripNames: true });
    const bare = mapGraphModules(model);
    expect(bare.byPath.size).toBe(0);
    expect(bare.layers).toHaveLength(13);
    expect(() => bare.require('head')).toThrow(ModuleMappingError);
    const headWeight = bare.layers.at(-1)!.weight;
    const q0 = bare.layers[0]!.weight;
    const m = mapGraphModules(model, { moduleMap: { head: headWeight, 'model.layers.0.self_attn.q_proj': q0 } });
    expect(m.require('head')[0]).toMatchObject({ source: 'user', layout: 'in_out', inFeatures: 64, outFeatures: 32 });
    expect(m.require('model.layers.0.self_attn.q_proj')[0]!.weight).toBe(q0);
    expect(() => mapGraphModules(model, { moduleMap: { head: 'onnx::MatMul_9999' } })).toThrow(
      /nearest: onnx::MatMul_/,
    );
  });

  it('lets kindOf override the layer type', () => {
    const m = mapGraphModules(toyModel('gpt2_conv1d_fan_in_fan_out_f32', { style: 'named' }), {
      kindOf: () => 'linear',
    });
    expect(m.require('transformer.h.0.mlp.c_fc')[0]!.kind).toBe('linear');
  });

  it('parses exporter scopes', () => {
    expect(modulePathFromScope('/model/layers.10/mlp/down_proj/MatMul_1')).toBe('model.layers.10.mlp.down_proj');
    expect(modulePathFromScope('MatMul_12')).toBeNull();
    expect(modulePathFromScope('/MatMul')).toBeNull();
  });
});

describe("PEFT's targeting rules on the mapped graph", () => {
  const targeted = (c: PeftGoldenCase): string[] =>
    (
      JSON.parse(readFileSync(peftGoldenPath(c, 'summary.json'), 'utf8').replace(/\bNaN\b/g, 'null')) as {
        targeted_modules: string[];
      }
    ).targeted_modules;

  for (const c of PEFT_GOLDEN_CASES) {
    for (const style of ['torch', 'named'] as const) {
      it(`${c} (${style}): resolveTargets selects PEFT's targeted modules`, async () => {
        const m = mapGraphModules(toyModel(c, { style }));
        const config: VBLoRAConfig = (await goldenAdapter(c)).config;
        const { targets } = resolveTargets(m.modules, config);
        expect(targets.map((t) => t.name)).toEqual(targeted(c));
      });
    }
  }
});

// Issue #14 review: the "did you mean" list scores names that come from the model, so its work is bounded (names
// compared up to 128 units, scores abandoned once they cannot enter the list) without changing its answer.
describe('nearestNames on model strings', () => {
  const brute = (wanted: string, names: string[], count = 5): string[] =>
    [...new Set(names)]
      .map((c, i) => ({ c, i, d: editDistance(wanted.slice(0, MAX_COMPARED), c.slice(0, MAX_COMPARED)) }))
      .sort((x, y) => x.d - y.d || x.i - y.i)
      .slice(0, count)
      .map((s) => s.c);

  it('gives the plain ranking (ties in the candidates order), seed 14', () => {
    const name = fc.stringMatching(/^[ab.]{0,12}$/);
    fc.assert(
      fc.property(name, fc.array(name, { maxLength: 30 }), fc.integer({ min: 1, max: 6 }), (wanted, names, count) => {
        expect(nearestNames(wanted, names, count)).toEqual(brute(wanted, names, count));
      }),
      { seed: 14, numRuns: 300 },
    );
  });

  it('stays fast on 20,000 names of 2,000 characters', () => {
    const names = Array.from({ length: 20_000 }, (_, i) => `${'x'.repeat(1990)}${i}`);
    names.push('model.layers.0.self_attn.q_proj');
    const t0 = performance.now();
    expect(nearestNames('model.layers.0.self_attn.k_proj', names)[0]).toBe('model.layers.0.self_attn.q_proj');
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
