import { BANK_KEY, numel } from '@vblora/core';
import { fail, pick, int, isFull, filled, target, get, withValue, unravel, type Defect } from './common.js';

/** Defects of the vector bank and of full logits tensors. */
export const BANK_AND_LOGITS_DEFECTS: readonly Defect[] = [
  // ---- the vector bank ----
  { name: 'bank-missing', apply: (p) => (p.tensors.delete(BANK_KEY), fail('adapter-missing-bank', BANK_KEY)) },
  {
    name: 'bank-shape',
    apply: (p, rnd) => {
      const { nv, vl } = p.spec;
      const shape = pick(rnd, [[nv + 1, vl], [nv, vl + 1], [nv * vl], [1, nv, vl], [nv, vl, 1], [0, vl]]);
      p.tensors.set(BANK_KEY, filled(get(p, BANK_KEY).dtype, shape));
      return fail('adapter-shape', BANK_KEY);
    },
  },
  {
    name: 'bank-dtype',
    apply: (p, rnd) => {
      const bank = get(p, BANK_KEY);
      p.tensors.set(BANK_KEY, filled(pick(rnd, ['i32', 'f64', 'u8', 'i64', 'bool'] as const), bank.shape));
      return fail('adapter-dtype', BANK_KEY);
    },
  },
  {
    name: 'bank-non-finite',
    apply: (p, rnd) => {
      const bank = get(p, BANK_KEY);
      const at = int(rnd, 0, numel(bank.shape) - 1);
      const v = pick(rnd, [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
      p.tensors.set(BANK_KEY, withValue(bank, at, v));
      return { kind: 'load', warning: `non-finite value ${v} in ${BANK_KEY} at ${unravel(at, bank.shape)}` };
    },
  },

  // ---- full logits ----
  {
    name: 'logits-last-dim',
    when: isFull,
    apply: (p, rnd) => {
      const { key } = target(p, rnd, 'logits');
      const t = get(p, key);
      const nv = p.spec.nv + pick(rnd, [1, -1, 7]);
      p.tensors.set(key, filled(t.dtype, [t.shape[0]!, t.shape[1]!, nv]));
      return fail('adapter-shape', key);
    },
  },
  {
    name: 'logits-rank',
    when: isFull,
    apply: (p, rnd) => {
      const { key } = target(p, rnd, 'logits');
      const t = get(p, key);
      const [a, b, c] = t.shape as [number, number, number];
      p.tensors.set(key, filled(t.dtype, pick(rnd, [[a, b * c], [1, a, b, c], [a * b * c], []])));
      return fail('adapter-shape', key);
    },
  },
  {
    name: 'logits-dtype',
    when: isFull,
    apply: (p, rnd) => {
      const { key } = target(p, rnd, 'logits');
      p.tensors.set(key, filled(pick(rnd, ['i32', 'f64', 'u8', 'i16'] as const), get(p, key).shape));
      return fail('adapter-dtype', key);
    },
  },
  {
    name: 'logits-non-finite',
    when: isFull,
    apply: (p, rnd) => {
      const { path, f, key } = target(p, rnd, 'logits');
      const t = get(p, key);
      const at = int(rnd, 0, numel(t.shape) - 1);
      const v = pick(rnd, [Number.NaN, Number.POSITIVE_INFINITY]);
      p.tensors.set(key, withValue(t, at, v));
      return {
        kind: 'load',
        warning: `non-finite value ${v} in ${path}.vblora_logits_${f} at ${unravel(at, t.shape)}`,
      };
    },
  },
  {
    name: 'logits-one-neg-inf',
    when: (s) => isFull(s) && s.nv > 1,
    apply: (p, rnd) => {
      const { key } = target(p, rnd, 'logits');
      const t = get(p, key);
      p.tensors.set(key, withValue(t, int(rnd, 0, numel(t.shape) - 1), Number.NEGATIVE_INFINITY));
      return { kind: 'load', finite: true }; // −inf is a legal logit (rebuilt top-k rows hold it)
    },
  },
  {
    name: 'logits-row-all-neg-inf',
    when: isFull,
    apply: (p, rnd) => {
      const { path, f, key } = target(p, rnd, 'logits');
      const t = get(p, key);
      const nv = p.spec.nv;
      const row = int(rnd, 0, numel(t.shape) / nv - 1);
      let out = t;
      for (let j = 0; j < nv; j++) out = withValue(out, row * nv + j, Number.NEGATIVE_INFINITY);
      p.tensors.set(key, out);
      return {
        kind: 'load',
        warning: `${path}.vblora_logits_${f} row ${unravel(
          row,
          t.shape.slice(0, 2),
        )} has no finite logit (all −inf): it composes to NaN`,
      };
    },
  },
];
