import { describe, expect, it } from 'vitest';
import { ConfigError, resolveTargets, TargetingError } from '@vblora/core';
import { expectThrows } from './helpers/expect-error.js';
import { conv1d, linear, names, other } from './helpers/modules.js';

const vl = { vector_length: 16 } as const;
const LINEAR_FAN =
  'fan_in_fan_out is set to True but the target module is `torch.nn.Linear`. Setting fan_in_fan_out to False.';
const CONV1D_FAN = 'fan_in_fan_out is set to False but the target module is `Conv1D`. Setting fan_in_fan_out to True.';
const NO_TARGETS =
  'No modules were targeted for adaptation. This might be caused by a combination of mismatched target modules and ' +
  'excluded modules. Please check your `target_modules` and `exclude_modules` configuration. You may also have only ' +
  'targeted modules that are marked to be saved (`modules_to_save`).';

describe('nothing targeted: PEFT NoMatchingPeftModuleError texts (SPEC §2.2)', () => {
  const modules = [linear('model.q'), linear('model.k')];

  it('when every module was excluded', () => {
    expectThrows(
      () => resolveTargets(modules, { ...vl, target_modules: ['q', 'k'], exclude_modules: ['q', 'k'] }),
      TargetingError,
      'All modules were excluded. This is likely unintended. Check your `target_modules`, `exclude_modules` and ' +
        '`modules_to_save` configuration.',
    );
  });

  it('when target_modules is empty', () => {
    for (const target_modules of [[], '']) {
      expectThrows(
        () => resolveTargets(modules, { ...vl, target_modules }),
        TargetingError,
        'No `target_modules` passed but also no `target_parameters` found. Please check the values for these arguments.',
      );
    }
  });

  it('when no module matched (set repr for lists, raw text for a regex)', () => {
    expectThrows(
      () => resolveTargets(modules, { ...vl, target_modules: ['v', "it's"] }),
      TargetingError,
      `Target modules {'v', "it's"} not found in the base model. Please check the target modules and try again.`,
    );
    expectThrows(
      () => resolveTargets(modules, { ...vl, target_modules: '.*\\.v' }),
      TargetingError,
      'Target modules .*\\.v not found in the base model. Please check the target modules and try again.',
    );
  });

  it('when some modules were excluded and the rest did not match, with the layer notes', () => {
    expectThrows(
      () => resolveTargets(modules, { ...vl, target_modules: ['q'], exclude_modules: ['q'] }),
      TargetingError,
      NO_TARGETS,
    );
    expectThrows(
      () =>
        resolveTargets(modules, {
          ...vl,
          target_modules: ['q'],
          modules_to_save: ['q'],
          layers_to_transform: [],
          layers_pattern: ['layers'],
        }),
      TargetingError,
      `${NO_TARGETS} Note: You specified 'layers_to_transform': []. You also specified 'layers_pattern': ['layers'].`,
    );
  });

  it('when the module list is empty', () => {
    expectThrows(() => resolveTargets([], { ...vl, target_modules: ['q'] }), TargetingError, NO_TARGETS);
  });
});

describe('warnings', () => {
  it('warns when exclude_modules excluded nothing (PEFT text, set repr)', () => {
    const r = resolveTargets([linear('model.q')], { ...vl, target_modules: ['q'], exclude_modules: ['nope'] });
    expect(r.warnings).toEqual([
      "You have passed exclude_modules={'nope'} but no modules were excluded. Please check that exclude_modules was set correctly.",
    ]);
    const s = resolveTargets([linear('model.q')], { ...vl, target_modules: ['q'], exclude_modules: 'nope' });
    expect(s.warnings).toEqual([
      'You have passed exclude_modules=nope but no modules were excluded. Please check that exclude_modules was set correctly.',
    ]);
  });

  it('does not warn when only modules_to_save excluded something (PEFT counts both)', () => {
    const r = resolveTargets([linear('model.q'), linear('head')], {
      ...vl,
      target_modules: ['q', 'head'],
      exclude_modules: ['nope'],
      modules_to_save: ['head'],
    });
    expect(r.warnings).toEqual([]);
    expect(names(r)).toEqual(['model.q']);
  });
});

describe('layer types and fan_in_fan_out (SPEC §1.3, §2.4)', () => {
  it("refuses a target that is neither Linear nor Conv1D with PEFT's TypeError text", () => {
    expectThrows(
      () =>
        resolveTargets([other('model.embed_tokens'), linear('model.q')], {
          ...vl,
          target_modules: ['embed_tokens', 'q'],
        }),
      TargetingError,
      'Target module model.embed_tokens is not supported. Currently, only the following modules are supported: ' +
        '`torch.nn.Linear`, `transformers.pytorch_utils.Conv1D`.',
    );
  });

  it("corrects fan_in_fan_out per layer type, with PEFT's warnings, and keeps the last value in the config", () => {
    const lin = resolveTargets([linear('a.q'), linear('b.q')], { ...vl, target_modules: ['q'], fan_in_fan_out: true });
    expect(lin.warnings).toEqual([LINEAR_FAN]);
    expect(lin.config.fan_in_fan_out).toBe(false);
    expect(lin.targets.map((t) => t.fanInFanOut)).toEqual([false, false]);

    const conv = resolveTargets([conv1d('h.0.attn.c_attn', 64, 192)], { ...vl, target_modules: ['c_attn'] });
    expect(conv.warnings).toEqual([CONV1D_FAN]);
    expect(conv.config.fan_in_fan_out).toBe(true);
    expect(conv.targets).toEqual([
      { name: 'h.0.attn.c_attn', kind: 'conv1d', inFeatures: 64, outFeatures: 192, fanInFanOut: true },
    ]);

    const mixed = resolveTargets([conv1d('a.c'), linear('b.c'), conv1d('d.c'), linear('e.c')], {
      ...vl,
      target_modules: ['c'],
    });
    expect(mixed.warnings).toEqual([CONV1D_FAN, LINEAR_FAN]);
    expect(mixed.targets.map((t) => t.fanInFanOut)).toEqual([true, false, true, false]);
    expect(mixed.config.fan_in_fan_out).toBe(false);

    const quiet = resolveTargets([conv1d('a.c')], { ...vl, target_modules: ['c'], fan_in_fan_out: true });
    expect(quiet.warnings).toEqual([]);
  });
});

describe("per-layer size checks (SPEC §1.3), in PEFT's order", () => {
  const mods = [linear('m.a', 48, 64), linear('m.b', 64, 40)];
  const run = (cfg: object) => () => resolveTargets(mods, { target_modules: ['a', 'b'], vector_length: 16, ...cfg });

  it('rejects r, topk and vector_length that are not positive integers', () => {
    expect(expectThrows(run({ r: 0 }), ConfigError, '`r` 0 should be a positive integer value').field).toBe('r');
    expectThrows(run({ r: 2.5 }), ConfigError, '`r` 2.5 should be a positive integer value');
    expectThrows(run({ r: 0, topk: 0 }), ConfigError, '`r` 0 should be a positive integer value');
    expect(expectThrows(run({ topk: -1 }), ConfigError, '`topk` -1 should be a positive integer value').field).toBe(
      'topk',
    );
    expectThrows(run({ vector_length: 0 }), ConfigError, '`vector_length` 0 should be a positive integer value');
  });

  it('requires vector_length to divide in and out features, module by module', () => {
    expectThrows(run({ vector_length: 32 }), ConfigError, '`in_features` 48 must be divisible by `vector_length` 32');
    expectThrows(run({}), ConfigError, '`out_features` 40 must be divisible by `vector_length` 16');
  });

  it('checks the layer type before the sizes', () => {
    expectThrows(
      () => resolveTargets([other('m.a')], { target_modules: ['a'], r: 0 }),
      TargetingError,
      'Target module m.a is not supported. Currently, only the following modules are supported: ' +
        '`torch.nn.Linear`, `transformers.pytorch_utils.Conv1D`.',
    );
  });

  it('does not check sizes when nothing is targeted', () => {
    expectThrows(
      () => resolveTargets(mods, { target_modules: ['zzz'], r: 0 }),
      TargetingError,
      "Target modules {'zzz'} not found in the base model. Please check the target modules and try again.",
    );
  });
});

describe('input validation', () => {
  it('rejects malformed config fields and module lists with typed errors', () => {
    expect(() => resolveTargets([linear('a')], { target_modules: [1] } as never)).toThrow(ConfigError);
    expect(() => resolveTargets([linear('a')], { target_modules: ['a'], layers_to_transform: ['1'] } as never)).toThrow(
      ConfigError,
    );
    expect(() => resolveTargets([linear('a'), linear('a')], { target_modules: ['a'] })).toThrow(TargetingError);
    expect(() => resolveTargets([{ ...linear('a'), kind: 'conv2d' } as never], { target_modules: ['a'] })).toThrow(
      TargetingError,
    );
  });
});
