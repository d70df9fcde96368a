import { describe, expect, it } from 'vitest';
import { ConfigError, resolveTargets, TargetingError } from '@vblora/core';
import { expectThrows } from './helpers/expect-error.js';
import { linear, llamaModules, names, other } from './helpers/modules.js';

const vl = { vector_length: 16 } as const;

describe('target_modules (SPEC §2.2 step 3)', () => {
  const modules = llamaModules(2);

  it('a list matches a whole name or a dot-suffix, entries may contain dots', () => {
    const mods = [linear('transformer.h.0.attn.c_proj'), linear('transformer.h.0.mlp.c_proj'), linear('x.notc_proj')];
    expect(names(resolveTargets(mods, { ...vl, target_modules: ['mlp.c_proj'] }))).toEqual([
      'transformer.h.0.mlp.c_proj',
    ]);
    expect(names(resolveTargets(mods, { ...vl, target_modules: ['c_proj'] }))).toEqual([
      'transformer.h.0.attn.c_proj',
      'transformer.h.0.mlp.c_proj',
    ]);
    expect(names(resolveTargets(mods, { ...vl, target_modules: ['x.notc_proj'] }))).toEqual(['x.notc_proj']);
  });

  it('a string is a regex that must match the whole name', () => {
    expect(() => resolveTargets(modules, { ...vl, target_modules: 'q_proj' })).toThrow(TargetingError);
    expect(names(resolveTargets(modules, { ...vl, target_modules: '.*layers\\.1\\..*q_proj' }))).toEqual([
      'model.layers.1.self_attn.q_proj',
    ]);
  });

  it('targets come in module order, not in list order', () => {
    const r = resolveTargets(modules, { ...vl, target_modules: ['down_proj', 'q_proj'] });
    expect(names(r)).toEqual([
      'model.layers.0.self_attn.q_proj',
      'model.layers.0.mlp.down_proj',
      'model.layers.1.self_attn.q_proj',
      'model.layers.1.mlp.down_proj',
    ]);
  });

  it('"all-linear" (any case) expands to every Linear/Conv1D module and is saved as those names', () => {
    const mods = [other('model.embed_tokens'), linear('model.q_proj'), linear('lm_head', 64, 32)];
    const r = resolveTargets(mods, { ...vl, target_modules: 'ALL-Linear' });
    expect(names(r)).toEqual(['model.q_proj', 'lm_head']);
    expect(r.config.target_modules).toEqual(['model.q_proj', 'lm_head']);
    const r2 = resolveTargets(mods, { ...vl, target_modules: 'all-linear' }, { outputEmbedding: 'lm_head' });
    expect(names(r2)).toEqual(['model.q_proj']);
  });

  it("null takes PEFT's per-model-type default, else PEFT's ValueError", () => {
    expect(names(resolveTargets(modules, { ...vl, target_modules: null }, { modelType: 'llama' }))).toEqual([
      'model.layers.0.self_attn.q_proj',
      'model.layers.0.self_attn.v_proj',
      'model.layers.1.self_attn.q_proj',
      'model.layers.1.self_attn.v_proj',
    ]);
    const gpt2 = resolveTargets([linear('transformer.h.0.attn.c_attn', 64, 192)], { ...vl }, { modelType: 'gpt2' });
    expect(gpt2.config.target_modules).toEqual(['c_attn']);
    const gemma4 = resolveTargets([linear('model.language_model.layers.0.self_attn.v_proj')], vl, {
      modelType: 'gemma4',
    });
    expect(gemma4.config.target_modules).toBe('.*language_model\\..*\\.(q_proj|v_proj)');
    for (const modelType of [undefined, 'custom', 'no-such-model', 'toString']) {
      const opts = modelType === undefined ? {} : { modelType };
      const e = expectThrows(
        () => resolveTargets(modules, { ...vl, target_modules: null }, opts),
        ConfigError,
        'Please specify `target_modules` in `peft_config`',
      );
      expect(e.field).toBe('target_modules');
    }
  });

  it('"dummy-target-modules" targets nothing without an error', () => {
    expect(resolveTargets(modules, { ...vl, target_modules: 'dummy-target-modules' }).targets).toEqual([]);
  });

  it('a list is used as a set: duplicates are dropped, other config fields pass through', () => {
    const config = { ...vl, r: 2, target_modules: ['q_proj', 'q_proj'], extra: 'kept' };
    const r = resolveTargets(modules, config);
    expect(r.config).toEqual({ ...config, target_modules: ['q_proj'], fan_in_fan_out: false });
  });
});

describe('exclude_modules (step 1) and modules_to_save (step 2)', () => {
  const modules = [
    linear('model.q_proj'),
    linear('model.k_proj'),
    linear('head'),
    linear('lm_head'),
    linear('x.head.inner'),
  ];

  it('a list excludes by whole name or dot-suffix', () => {
    const r = resolveTargets(modules, {
      ...vl,
      target_modules: ['q_proj', 'k_proj'],
      exclude_modules: ['model.k_proj'],
    });
    expect(names(r)).toEqual(['model.q_proj']);
  });

  it('a string excludes by full regex match', () => {
    const r = resolveTargets(modules, { ...vl, target_modules: ['q_proj', 'k_proj'], exclude_modules: '.*k_proj' });
    expect(names(r)).toEqual(['model.q_proj']);
    const partial = resolveTargets(modules, { ...vl, target_modules: ['q_proj', 'k_proj'], exclude_modules: 'k_proj' });
    expect(names(partial)).toEqual(['model.q_proj', 'model.k_proj']);
  });

  it('modules_to_save entries keep matching modules (and their children) out of the targets', () => {
    const r = resolveTargets(modules, { ...vl, target_modules: '.*head.*', modules_to_save: ['head'] });
    expect(names(r)).toEqual(['lm_head']);
  });

  it('modules_to_save entries are spliced into the regex unescaped', () => {
    const mods = [linear('modelXhead'), linear('model.q')];
    const r = resolveTargets(mods, { ...vl, target_modules: ['modelXhead', 'q'], modules_to_save: ['model.head'] });
    expect(names(r)).toEqual(['model.q']);
  });

  it('the wrapped modules are those whose name ends with an entry (plain endswith, PEFT quirk)', () => {
    const r = resolveTargets(modules, { ...vl, target_modules: ['q_proj'], modules_to_save: ['head'] });
    expect(r.modulesToSave).toEqual(['head', 'lm_head']);
    expect(resolveTargets(modules, { ...vl, target_modules: ['q_proj'], modules_to_save: [] }).modulesToSave).toEqual(
      [],
    );
  });

  it('exclusion wins over an explicit target', () => {
    const r = resolveTargets(modules, {
      ...vl,
      target_modules: ['model.q_proj', 'k_proj'],
      exclude_modules: ['q_proj'],
    });
    expect(names(r)).toEqual(['model.k_proj']);
  });
});
