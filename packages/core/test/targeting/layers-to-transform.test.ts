import { describe, expect, it } from 'vitest';
import { ConfigError, resolveTargets, TargetingError } from '@vblora/core';
import { expectThrows } from './helpers/expect-error.js';
import { linear, llamaModules, names } from './helpers/modules.js';

const vl = { vector_length: 16 } as const;
const modules = llamaModules(3);
const q = (i: number): string => `model.layers.${i}.self_attn.q_proj`;

describe('layers_to_transform / layers_pattern (SPEC §2.2 step 4)', () => {
  it('takes an int or a list of layer indices', () => {
    expect(names(resolveTargets(modules, { ...vl, target_modules: ['q_proj'], layers_to_transform: 1 }))).toEqual([
      q(1),
    ]);
    expect(names(resolveTargets(modules, { ...vl, target_modules: ['q_proj'], layers_to_transform: [0, 2] }))).toEqual([
      q(0),
      q(2),
    ]);
  });

  it('an empty list means no filter', () => {
    expect(names(resolveTargets(modules, { ...vl, target_modules: ['q_proj'], layers_to_transform: [] }))).toEqual([
      q(0),
      q(1),
      q(2),
    ]);
  });

  it('uses the named list with layers_pattern, trying the patterns in order', () => {
    const mods = [linear('model.blocks.0.layers.1.q'), linear('model.blocks.1.layers.0.q')];
    const cfg = { ...vl, target_modules: ['q'], layers_to_transform: [1] };
    expect(names(resolveTargets(mods, { ...cfg, layers_pattern: 'layers' }))).toEqual(['model.blocks.0.layers.1.q']);
    expect(names(resolveTargets(mods, { ...cfg, layers_pattern: ['blocks', 'layers'] }))).toEqual([
      'model.blocks.1.layers.0.q',
    ]);
    expect(names(resolveTargets(mods, { ...cfg, layers_pattern: ['nothing', 'layers'] }))).toEqual([
      'model.blocks.0.layers.1.q',
    ]);
  });

  it('without a pattern, takes the first numbered component (lazy match), e.g. the layer, not the expert', () => {
    const mods = [linear('model.layers.1.experts.0.w1'), linear('model.layers.0.experts.1.w1')];
    expect(names(resolveTargets(mods, { ...vl, target_modules: ['w1'], layers_to_transform: 1 }))).toEqual([
      'model.layers.1.experts.0.w1',
    ]);
  });

  it('needs a component before the module list: `layers.1.x` never matches (PEFT quirk)', () => {
    const mods = [linear('layers.0.q'), linear('layers.1.q')];
    expectThrows(
      () => resolveTargets(mods, { ...vl, target_modules: ['q'], layers_to_transform: [1] }),
      TargetingError,
      "Target modules {'q'} not found in the base model. Please check the target modules and try again. " +
        "Note: You specified 'layers_to_transform': [1].",
    );
    expectThrows(
      () => resolveTargets(mods, { ...vl, target_modules: ['q'], layers_to_transform: 1, layers_pattern: 'layers' }),
      TargetingError,
      "Target modules {'q'} not found in the base model. Please check the target modules and try again. " +
        "Note: You specified 'layers_to_transform': 1. You also specified 'layers_pattern': layers.",
    );
  });

  it('a module without a number followed by a dot has no index and is not targeted', () => {
    const mods = [linear('model.layers.1'), linear('model.layers.1.q')];
    expect(names(resolveTargets(mods, { ...vl, target_modules: ['1', 'q'], layers_to_transform: 1 }))).toEqual([
      'model.layers.1.q',
    ]);
  });

  it('is ignored for a regex target_modules', () => {
    const r = resolveTargets(modules, {
      ...vl,
      target_modules: '.*q_proj',
      layers_to_transform: [1],
      layers_pattern: 'layers',
    });
    expect(names(r)).toEqual([q(0), q(1), q(2)]);
  });

  it('is skipped when a list entry equals the whole module path (PEFT quirk)', () => {
    const r = resolveTargets(modules, { ...vl, target_modules: [q(0), 'v_proj'], layers_to_transform: [1] });
    expect(names(r)).toEqual([q(0), 'model.layers.1.self_attn.v_proj']);
  });

  it("layers_pattern without layers_to_transform is PEFT's config error; 0 is a valid index", () => {
    expectThrows(
      () => resolveTargets(modules, { ...vl, target_modules: ['q_proj'], layers_pattern: 'layers' }),
      ConfigError,
      'When `layers_pattern` is specified, `layers_to_transform` must also be specified. ',
    );
    const r = resolveTargets(modules, {
      ...vl,
      target_modules: ['q_proj'],
      layers_pattern: 'layers',
      layers_to_transform: 0,
    });
    expect(names(r)).toEqual([q(0)]);
  });

  it("a capturing group in layers_pattern shifts group 1 and fails as Python's int() would", () => {
    const e = expectThrows(
      () =>
        resolveTargets(modules, {
          ...vl,
          target_modules: ['q_proj'],
          layers_to_transform: 1,
          layers_pattern: '(layers|h)',
        }),
      ConfigError,
      "invalid literal for int() with base 10: 'layers'; PEFT reads the layer index from group 1, so write groups " +
        'in layers_pattern entry "(layers|h)" as (?:...)',
    );
    expect(e.field).toBe('layers_pattern');
    const ok = resolveTargets(modules, {
      ...vl,
      target_modules: ['q_proj'],
      layers_to_transform: 1,
      layers_pattern: '(?:layers|h)',
    });
    expect(names(ok)).toEqual([q(1)]);
  });

  it('a condensed all-linear list loses its exact names, so the layer filter applies again (PEFT quirk)', () => {
    const many = llamaModules(4); // 24 Linear modules: >= 20, PEFT condenses them to suffixes
    const r = resolveTargets(many, { ...vl, target_modules: 'all-linear', layers_to_transform: [3] });
    expect([...(r.config.target_modules as string[])].sort()).toEqual([
      'down_proj',
      'k_proj',
      'o_proj',
      'q_proj',
      'up_proj',
      'v_proj',
    ]);
    expect(names(r)).toEqual(many.filter((m) => m.name.startsWith('model.layers.3.')).map((m) => m.name));
    const few = llamaModules(1); // 6 modules: not condensed, full names bypass the filter
    expect(names(resolveTargets(few, { ...vl, target_modules: 'all-linear', layers_to_transform: [3] }))).toEqual(
      few.map((m) => m.name),
    );
  });
});
