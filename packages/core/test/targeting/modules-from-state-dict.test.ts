import { describe, expect, it } from 'vitest';
import { gpt2Conv1dKind, modulesFromStateDict, renameModules, ShapeError, TargetingError } from '@vblora/core';

const t = (name: string, ...shape: number[]) => ({ name, shape });

describe('modulesFromStateDict', () => {
  it('makes one module per `.weight`, Linear weights stored (out, in), in weight order', () => {
    const modules = modulesFromStateDict([
      t('model.b.weight', 32, 64),
      t('model.b.bias', 32),
      t('model.a.weight', 64, 16),
    ]);
    expect(modules).toEqual([
      { name: 'model.b', kind: 'linear', inFeatures: 64, outFeatures: 32, hasBias: true },
      { name: 'model.a', kind: 'linear', inFeatures: 16, outFeatures: 64, hasBias: false },
    ]);
  });

  it('reads Conv1D weights as (in, out) when kindOf says conv1d', () => {
    const modules = modulesFromStateDict(
      [t('h.0.attn.c_attn.weight', 64, 192), t('wte.weight', 100, 64), t('lm_head.weight', 100, 64)],
      {
        kindOf: gpt2Conv1dKind,
      },
    );
    expect(modules.map((m) => [m.name, m.kind, m.inFeatures, m.outFeatures])).toEqual([
      ['h.0.attn.c_attn', 'conv1d', 64, 192],
      ['wte', 'other', 64, 100],
      ['lm_head', 'linear', 64, 100],
    ]);
  });

  it('marks weights that are not 2-D as other and skips a root-level weight', () => {
    const modules = modulesFromStateDict([t('weight', 4, 4), t('norm.weight', 64), t('conv.weight', 8, 3, 3, 3)]);
    expect(modules.map((m) => [m.name, m.kind, m.inFeatures, m.outFeatures])).toEqual([
      ['norm', 'other', 0, 0],
      ['conv', 'other', 0, 0],
    ]);
  });

  it('lists enclosing modules first (named_modules pre-order) with includeContainers', () => {
    const modules = modulesFromStateDict(
      [t('model.layers.0.q.weight', 4, 4), t('model.layers.0.k.weight', 4, 4), t('head.weight', 4, 4)],
      {
        includeContainers: true,
      },
    );
    expect(modules.map((m) => `${m.name}:${m.kind}`)).toEqual([
      'model:other',
      'model.layers:other',
      'model.layers.0:other',
      'model.layers.0.q:linear',
      'model.layers.0.k:linear',
      'head:linear',
    ]);
  });

  it('rejects duplicate names, bad shapes and bad kinds', () => {
    expect(() => modulesFromStateDict([t('a.weight', 2, 2), t('a.weight', 2, 2)])).toThrow(ShapeError);
    expect(() => modulesFromStateDict([t('a.weight', 2, -1)])).toThrow(ShapeError);
    expect(() => modulesFromStateDict([{ name: 'a.weight', shape: [1.5] }])).toThrow(ShapeError);
    expect(() => modulesFromStateDict([t('a.weight', 2, 2)], { kindOf: () => 'conv2d' as never })).toThrow(ShapeError);
  });
});

describe('gpt2Conv1dKind', () => {
  it('knows GPT-2 Conv1D layers and embeddings, with and without the transformer prefix', () => {
    const kinds = [
      'transformer.h.3.attn.c_attn',
      'h.0.attn.c_proj',
      'h.0.mlp.c_fc',
      'h.0.mlp.c_proj',
      'transformer.wte',
      'wpe',
      'lm_head',
      'x.c_proj',
      'h.0.attnc_attn',
    ].map(gpt2Conv1dKind);
    expect(kinds).toEqual(['conv1d', 'conv1d', 'conv1d', 'conv1d', 'other', 'other', 'linear', 'linear', 'linear']);
  });
});

describe('renameModules', () => {
  const modules = modulesFromStateDict([t('dense_1.weight', 8, 4), t('dense_2.weight', 4, 8)]);

  it('renames and keeps everything else', () => {
    const renamed = renameModules(modules, (n) =>
      n === 'dense_1' ? 'model.layers.0.mlp.up_proj' : 'model.layers.0.mlp.down_proj',
    );
    expect(renamed).toEqual([
      { ...modules[0], name: 'model.layers.0.mlp.up_proj' },
      { ...modules[1], name: 'model.layers.0.mlp.down_proj' },
    ]);
  });

  it('refuses collisions and empty names', () => {
    expect(() => renameModules(modules, () => 'same')).toThrow(TargetingError);
    expect(() => renameModules(modules, () => '')).toThrow(TargetingError);
  });
});
