import { factorKey, type FactorKeyKind } from '@vblora/core';
import { fail, pick, isTopk, filled, target, get, validTopk, type Defect } from './common.js';

/** Structural defects: rank, missing or doubled factors, stray keys and names, no modules, extra tensors. */
export const STRUCTURE_DEFECTS: readonly Defect[] = [
  // ---- structure: rank, missing / doubled factors, stray keys ----
  {
    name: 'rank-mismatch',
    apply: (p, rnd) => {
      const { path, f, key } = target(p, rnd, isTopk(p.spec) ? 'topk_indices' : 'logits');
      const { r, nv, k } = p.spec;
      const r2 = pick(rnd, r >= 2 ? [r + 1, r - 1, 0] : [r + 1, 0]);
      const t = get(p, key);
      const shape = f === 'A' ? [r2, t.shape[1]!] : [t.shape[0]!, r2];
      if (isTopk(p.spec)) {
        const { indices, weights } = validTopk(shape, k, t.dtype);
        p.tensors.set(key, indices);
        p.tensors.set(factorKey(path, f, 'topk_weights'), weights);
      } else {
        p.tensors.set(key, filled(t.dtype, [...shape, nv]));
      }
      return fail('adapter-rank', path);
    },
  },
  {
    name: 'factor-missing',
    apply: (p, rnd) => {
      const kinds: FactorKeyKind[] = isTopk(p.spec) ? ['topk_indices', 'topk_weights'] : ['logits'];
      const { path, key } = target(p, rnd, pick(rnd, kinds));
      p.tensors.delete(key);
      return fail('adapter-missing-factor', path);
    },
  },
  {
    name: 'factor-both-forms',
    apply: (p, rnd) => {
      const { path, f } = target(p, rnd, 'logits');
      const { nv, k } = p.spec;
      const lead = (key: string): number[] => get(p, key).shape.slice(0, 2);
      if (isTopk(p.spec)) {
        const shape = lead(factorKey(path, f, 'topk_indices'));
        p.tensors.set(factorKey(path, f, 'logits'), filled('f32', [...shape, nv]));
      } else {
        const { indices, weights } = validTopk(lead(factorKey(path, f, 'logits')), k, 'i32');
        p.tensors.set(factorKey(path, f, 'topk_indices'), indices);
        p.tensors.set(factorKey(path, f, 'topk_weights'), weights);
      }
      return fail('adapter-duplicate-factor', factorKey(path, f, 'logits'));
    },
  },
  {
    name: 'stray-vblora-key',
    apply: (p, rnd) => {
      const path = pick(rnd, p.paths);
      const key = pick(rnd, [
        `base_model.model.${path}.vblora_logits_C`,
        `base_model.vblora_vector_bank.default`,
        `base_model.model.${path}.vblora_logits_A_topk_scores`,
        `${path}.vblora_logits_A`,
        `base_model.model.${path}.vblora_logits_A.default`,
      ]);
      p.tensors.set(key, filled('f32', [1]));
      return fail('adapter-key', key);
    },
  },
  {
    name: 'control-char-in-name',
    apply: (p, rnd) => {
      const key = pick(rnd, [
        `base_model.model.${pick(rnd, p.paths)}\u001b[2J.vblora_logits_A`,
        'base_model.model.lm_head\u001b]0;pwned\u0007.weight',
        'base_model.model.head.bias\r',
        'base_model.model.x\u009b31m.weight',
      ]);
      p.tensors.set(key, filled('f32', [1]));
      return fail('adapter-key', key);
    },
  },
  {
    name: 'no-modules',
    apply: (p) => {
      for (const key of [...p.tensors.keys()]) if (key.includes('vblora_logits')) p.tensors.delete(key);
      return fail('adapter-no-modules');
    },
  },
  {
    name: 'extra-tensor',
    apply: (p, rnd) => {
      const key = pick(rnd, [
        'base_model.model.lm_head.weight',
        'base_model.model.score.modules_to_save.weight',
        'x',
        'constructor',
        'toString',
      ]);
      p.tensors.set(key, filled(pick(rnd, ['f32', 'bf16', 'i64', 'bool'] as const), [2, 3]));
      return { kind: 'load', finite: true };
    },
  },
];
