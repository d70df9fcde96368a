import { describe, expect, it } from 'vitest';
import { ConfigError, findMinimalTargetModules, resolveTargets } from '@vblora/core';
import { expectThrows } from './helpers/expect-error.js';
import { linear } from './helpers/modules.js';

describe('findMinimalTargetModules (PEFT _find_minimal_target_modules)', () => {
  it("condenses the decoder q/v example of PEFT's docstring to {q_proj, v_proj}", () => {
    const targets: string[] = [];
    for (const p of ['q_proj', 'v_proj'])
      for (let i = 0; i < 100; i++) targets.push(`model.decoder.layers.${i}.self_attn.${p}`);
    const others = Array.from({ length: 100 }, (_, i) => `model.encoder.layers.${i}.self_attn.k_proj`);
    expect([...findMinimalTargetModules(targets, others)].sort()).toEqual(['q_proj', 'v_proj']);
  });

  it('takes, per target in sorted order, the shortest suffix no other module has', () => {
    // dec.0.q: `q` and `0.q` also name enc.0.q, so the whole name; dec.1.q: `1.q` is free
    expect([...findMinimalTargetModules(['dec.1.q', 'dec.0.q'], ['enc.0.q'])].sort()).toEqual(['1.q', 'dec.0.q']);
    expect([...findMinimalTargetModules(['a.x.q', 'b.x.q', 'c.y.q'], ['d.z.q'])].sort()).toEqual(['x.q', 'y.q']);
  });

  it("raises PEFT's errors for empty lists and empty entries", () => {
    expectThrows(
      () => findMinimalTargetModules([], []),
      ConfigError,
      'target_modules should be a list or set of strings.',
    );
    expectThrows(
      () => findMinimalTargetModules(['a', ''], []),
      ConfigError,
      'target_modules should not contain an empty string.',
    );
  });

  it('is applied by resolveTargets from 20 entries on, and the condensed set is the saved target_modules', () => {
    const modules = Array.from({ length: 20 }, (_, i) => linear(`model.layers.${i}.q_proj`));
    const r = resolveTargets([...modules, linear('model.k_proj')], {
      vector_length: 16,
      target_modules: modules.map((m) => m.name),
    });
    expect(r.config.target_modules).toEqual(['q_proj']);
    const few = modules.slice(0, 19).map((m) => m.name);
    expect(resolveTargets(modules, { vector_length: 16, target_modules: few }).config.target_modules).toEqual(few);
  });
});
