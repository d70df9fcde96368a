/**
 * The adapter API on a tf.js ToyLlama (cpu): several adapters, set-active and summed adapters, per-request and
 * per-row (mixed batch) choice, enable/disable, merge/unmerge/merge-and-unload with two adapters, modules_to_save,
 * bias training, the layer → PEFT path mapping, and the errors. Expected values come from the same model run
 * another way (e.g. a mixed batch against single-adapter runs), compared exactly or, where the arithmetic
 * differs (merged weights vs an unmerged branch), within 1e-6 (O(1) outputs, a few float32 ulps).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { AdapterError, ConfigError, TargetingError, UnsupportedError, toF32 } from '@vblora/core';
import {
  applyVBLoRA,
  buildToyLlama,
  loadVBLoRA,
  modelModules,
  toyOptions,
  VBLoRAModel,
  type ToyModel,
} from '@vblora/tfjs';
import { EXACT, expectClose } from '../helpers/assert.js';
import { hostOutput } from '../helpers/toy.js';
import { useTfBackend } from '../helpers/tf-setup.js';

const CLOSE = { atol: 1e-6, rtol: 0 };
const SIZE = { hidden: 32, intermediate: 64, layers: 2, nOut: 16, seed: 4 } as const;
const CFG_A = {
  r: 2,
  num_vectors: 16,
  vector_length: 8,
  topk: 2,
  target_modules: ['q_proj', 'v_proj'],
  init_vector_bank_bound: 0.5,
};
const CFG_B = {
  r: 3,
  num_vectors: 24,
  vector_length: 16,
  topk: 3,
  target_modules: ['up_proj', 'o_proj', 'v_proj'],
  init_vector_bank_bound: 0.5,
};

/** Runs a test body on a fresh ToyLlama with adapters `a` and `b`, checking no tensor leaks. */
async function withTwoAdapters(
  body: (vb: VBLoRAModel, toy: ToyModel, x: tf.Tensor) => Promise<void> | void,
): Promise<void> {
  await useTfBackend('cpu');
  const before = tf.memory().numTensors;
  const toy = buildToyLlama(SIZE);
  const vb = applyVBLoRA(toy.model, CFG_A, { ...toyOptions(toy), adapterName: 'a', seed: 1 });
  vb.addAdapter('b', CFG_B, { seed: 2 });
  const x = tf.randomNormal([3, 5, 32], 0, 1, 'float32', 11);
  await body(vb, toy, x);
  x.dispose();
  vb.dispose();
  toy.model.dispose();
  expect(tf.memory().numTensors).toBe(before);
}

const out = (y: tf.Tensor) => hostOutput(y, 'f32');

describe('adapters on a tf.js model', () => {
  it('set-active, per-request choice and summed adapters', () =>
    withTwoAdapters((vb, toy, x) => {
      expect(vb.adapterNames).toEqual(['a', 'b']);
      expect(vb.activeAdapters).toEqual(['a']);
      const base = out(toy.model.predict(x) as tf.Tensor); // the model's own predict runs the active adapter too
      const yA = out(vb.predict(x));
      expectClose(base, yA, EXACT, 'model.predict uses the active adapter');
      vb.setActiveAdapter('b');
      const yB = out(vb.predict(x));
      expectClose(out(vb.predict(x, { adapter: 'a' })), yA, EXACT, 'per-request a');
      expectClose(out(vb.predict(x, { adapter: null })), out(vb.predict(x, { adapter: [] })), EXACT, 'base');
      vb.setActiveAdapter(['a', 'b']);
      expectClose(out(vb.predict(x)), out(vb.predict(x, { adapter: ['a', 'b'] })), EXACT, 'both');
      expect(out(vb.predict(x)).data).not.toEqual(yA.data);
      expect(yB.data).not.toEqual(yA.data);
    }));

  it('mixed batch: each row equals a run with that row’s adapter', () =>
    withTwoAdapters((vb, _toy, x) => {
      const rows = ['b', null, 'a'];
      const mixed = toF32(out(vb.predict(x, { rowAdapters: rows }))).data;
      const per = rows.map((r) => toF32(out(vb.predict(x, { adapter: r }))).data);
      const n = mixed.length / 3;
      rows.forEach((_, i) => {
        expect(Array.from(mixed.slice(i * n, (i + 1) * n))).toEqual(Array.from(per[i]!.slice(i * n, (i + 1) * n)));
      });
      expect(() => vb.predict(x, { rowAdapters: ['a'] })).toThrow(AdapterError);
      expect(() => vb.predict(x, { adapter: 'nope' })).toThrow(AdapterError);
    }));

  it('disable / enable; merge and unmerge two adapters; merge-and-unload', () =>
    withTwoAdapters(async (vb, toy, x) => {
      vb.setActiveAdapter(['a', 'b']);
      const on = out(vb.predict(x));
      vb.disableAdapters();
      const off = out(vb.predict(x));
      vb.enableAdapters();
      await vb.merge();
      expect(vb.isMerged).toBe(true);
      expectClose(out(vb.predict(x)), on, CLOSE, 'merged = unmerged branch');
      expect(() => vb.disableAdapters()).toThrow(AdapterError);
      expect(() => vb.deleteAdapter('a')).toThrow(AdapterError);
      await vb.merge();
      expect(vb.warnings).toContain('Already merged with a. Skipping.');
      await vb.unmerge();
      expectClose(out(vb.predict(x, { adapter: null })), off, CLOSE, 'unmerged weights ≈ base');
      const plain = await vb.mergeAndUnload();
      expect(plain).toBe(toy.model);
      expectClose(out(plain.predict(x) as tf.Tensor), on, CLOSE, 'merge_and_unload');
      expect(() => vb.predict(x)).toThrow(AdapterError);
    }));

  it('deleteAdapter frees it; another config cannot add a second bias-training adapter', () =>
    withTwoAdapters((vb) => {
      vb.setActiveAdapter(['a', 'b']);
      vb.deleteAdapter('a');
      expect(vb.adapterNames).toEqual(['b']);
      expect(vb.activeAdapters).toEqual(['b']);
      vb.addAdapter('c', { ...CFG_A, bias: 'vblora_only' });
      expect(() => vb.addAdapter('d', { ...CFG_A, bias: 'all' })).toThrow(AdapterError);
      expect(() => vb.addAdapter('b', CFG_A)).toThrow(AdapterError);
    }));

  it('modules_to_save and trained biases: copies used while enabled, saved under PEFT’s keys', () =>
    withTwoAdapters((vb, _toy, x) => {
      vb.addAdapter('s', { ...CFG_A, modules_to_save: ['head'], bias: 'vblora_only' }, { seed: 3 });
      vb.setActiveAdapter('s');
      const groups = vb.trainableVariables();
      expect(groups.other.length).toBe(2 + 4); // head copy (kernel, bias) + biases of 4 q/v layers
      const head = groups.other[4]!;
      const before = out(vb.predict(x));
      tf.tidy(() => head.assign(tf.zerosLike(head)));
      vb.invalidate();
      expect(out(vb.predict(x)).data).not.toEqual(before.data);
      vb.disableAdapters();
      const off = out(vb.predict(x));
      vb.enableAdapters();
      expect(off.data).not.toEqual(before.data);
      const saved = vb.exportAdapter('s').adapter;
      expect([...saved.extraTensors.keys()].sort()).toEqual([
        'base_model.model.head.bias',
        'base_model.model.head.weight',
        'base_model.model.model.layers.0.self_attn.q_proj.base_layer.bias',
        'base_model.model.model.layers.0.self_attn.v_proj.base_layer.bias',
        'base_model.model.model.layers.1.self_attn.q_proj.base_layer.bias',
        'base_model.model.model.layers.1.self_attn.v_proj.base_layer.bias',
      ]);
      expect(toF32(saved.extraTensors.get('base_model.model.head.weight')!).data.every((v) => v === 0)).toBe(true);
    }));

  it('an adapter saved from one model loads into another and gives the same outputs', () =>
    withTwoAdapters((vb, _toy, x) => {
      const fresh = buildToyLlama(SIZE);
      const other = loadVBLoRA(
        fresh.model,
        [vb.exportAdapter('a').adapter, vb.exportAdapter('b').adapter],
        toyOptions(fresh),
      );
      for (const name of ['a', 'b'])
        expectClose(out(other.predict(x, { adapter: name })), out(vb.predict(x, { adapter: name })), EXACT, name);
      other.dispose();
      fresh.model.dispose();
    }));
});

describe('layer → PEFT path mapping and targeting errors', () => {
  it('default paths join nested model names; a pathOf function replaces them', async () => {
    await useTfBackend('cpu');
    const input = tf.input({ shape: [8] });
    const inner = tf.sequential({
      name: 'encoder',
      layers: [tf.layers.dense({ units: 8, inputShape: [8], name: 'q_proj' })],
    });
    const encoded = inner.apply(input) as tf.SymbolicTensor;
    const outer = tf.model({
      inputs: input,
      outputs: tf.layers.dense({ units: 8, name: 'head' }).apply(encoded) as tf.SymbolicTensor,
    });
    expect(modelModules(outer).map((m) => [m.path, m.kind])).toEqual([
      ['encoder.q_proj', 'linear'],
      ['head', 'linear'],
    ]);
    const renamed = modelModules(outer, {
      pathOf: (l, parents) => (parents.length > 0 ? `model.${l.name}` : null),
      kindOf: () => 'conv1d',
    });
    expect(renamed.map((m) => [m.path, m.kind])).toEqual([['model.q_proj', 'conv1d']]);
    const vb = applyVBLoRA(outer, {
      r: 2,
      num_vectors: 8,
      vector_length: 4,
      target_modules: ['q_proj'],
      fan_in_fan_out: true,
    });
    expect(vb.adapter('default').config.fan_in_fan_out).toBe(false); // corrected for an nn.Linear, as PEFT does
    expect(vb.warnings[0]).toMatch(/Setting fan_in_fan_out to False/);
    vb.dispose();
    outer.dispose();
  });

  it('PEFT’s targeting and config errors; activations and unknown adapters refused', async () => {
    await useTfBackend('cpu');
    const toy = buildToyLlama(SIZE);
    expect(() => applyVBLoRA(toy.model, { ...CFG_A, target_modules: ['nothing'] })).toThrow(TargetingError);
    expect(() => applyVBLoRA(toy.model, { ...CFG_A, vector_length: 5 })).toThrow(ConfigError);
    expect(() => new VBLoRAModel(toy.model).adapter('x')).toThrow(AdapterError);
    const input = tf.input({ shape: [8] });
    const relu = tf.model({
      inputs: input,
      outputs: tf.layers.dense({ units: 8, activation: 'relu', name: 'q_proj' }).apply(input) as tf.SymbolicTensor,
    });
    expect(() => applyVBLoRA(relu, { r: 2, num_vectors: 8, vector_length: 4, target_modules: ['q_proj'] })).toThrow(
      UnsupportedError,
    );
    relu.dispose();
    toy.model.dispose();
  });
});
