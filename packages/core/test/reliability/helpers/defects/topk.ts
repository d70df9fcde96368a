import { numel } from '@vblora/core';
import { fail, pick, int, isTopk, filled, target, get, withValue, INT_MAX, INT_MIN, type Defect } from './common.js';

/** Defects of top-k indices and weights. */
export const TOPK_DEFECTS: readonly Defect[] = [
  // ---- top-k indices and weights ----
  {
    name: 'index-too-large',
    when: isTopk,
    apply: (p, rnd) => {
      const { key } = target(p, rnd, 'topk_indices');
      const t = get(p, key);
      const max = INT_MAX[t.dtype]!;
      const v = pick(rnd, [p.spec.nv, Math.min(max, p.spec.nv + 1000), max]);
      const at = int(rnd, 0, numel(t.shape) - 1);
      p.tensors.set(
        key,
        filled(t.dtype, t.shape, (i) => (i === at ? v : Number(t.data[i]!))),
      );
      return fail('topk-index-range', key);
    },
  },
  {
    name: 'index-negative',
    when: isTopk,
    apply: (p, rnd) => {
      const { key } = target(p, rnd, 'topk_indices');
      const t = get(p, key);
      // u8 files cannot hold a negative index: store the same indices in a signed dtype wide enough for them
      const dtype = t.dtype !== 'u8' ? t.dtype : p.spec.nv <= 128 ? pick(rnd, ['i8', 'i16'] as const) : 'i16';
      const v = pick(rnd, [-1, INT_MIN[dtype]!]);
      const at = int(rnd, 0, numel(t.shape) - 1);
      p.tensors.set(
        key,
        filled(dtype, t.shape, (i) => (i === at ? v : Number(t.data[i]!))),
      );
      return fail('topk-index-range', key);
    },
  },
  {
    name: 'index-duplicate',
    when: (s) => isTopk(s) && s.k >= 2,
    apply: (p, rnd) => {
      const { key } = target(p, rnd, 'topk_indices');
      const t = get(p, key);
      const k = p.spec.k;
      const row = int(rnd, 0, numel(t.shape) / k - 1);
      const j = int(rnd, 1, k - 1);
      const i = int(rnd, 0, j - 1);
      p.tensors.set(
        key,
        filled(t.dtype, t.shape, (x) => Number(t.data[x === row * k + j ? row * k + i : x]!)),
      );
      return fail('topk-index-duplicate', key);
    },
  },
  {
    name: 'index-other-int-dtype',
    when: isTopk,
    apply: (p, rnd) => {
      const { key } = target(p, rnd, 'topk_indices');
      const t = get(p, key);
      const dtype = pick(
        rnd,
        (['i16', 'u16', 'i32', 'u32', 'i64', 'u64'] as const).filter(
          (d) => INT_MAX[d] === undefined || INT_MAX[d]! >= p.spec.nv,
        ),
      );
      p.tensors.set(
        key,
        filled(dtype, t.shape, (i) => Number(t.data[i]!)),
      );
      return { kind: 'load', finite: true };
    },
  },
  {
    name: 'index-float-dtype',
    when: isTopk,
    apply: (p, rnd) => {
      const { key } = target(p, rnd, 'topk_indices');
      const t = get(p, key);
      p.tensors.set(key, filled(pick(rnd, ['f32', 'bf16', 'f64'] as const), t.shape));
      return fail('adapter-dtype', key);
    },
  },
  {
    name: 'index-last-dim',
    when: isTopk,
    apply: (p, rnd) => {
      const { key } = target(p, rnd, 'topk_indices');
      const t = get(p, key);
      const k = p.spec.k + (p.spec.k > 1 && rnd.uniform() < 0.5 ? -1 : 1);
      p.tensors.set(
        key,
        filled(t.dtype, [t.shape[0]!, t.shape[1]!, k], (i) => i % k),
      );
      return fail('adapter-shape', key);
    },
  },
  {
    name: 'index-rank',
    when: isTopk,
    apply: (p, rnd) => {
      const { key } = target(p, rnd, 'topk_indices');
      const t = get(p, key);
      const [a, b, c] = t.shape as [number, number, number];
      p.tensors.set(
        key,
        filled(t.dtype, pick(rnd, [[a * b, c], [1, a, b, c], [c]]), (i) => i % c),
      );
      return fail('adapter-shape', key);
    },
  },
  {
    name: 'weights-shape',
    when: isTopk,
    apply: (p, rnd) => {
      const { key } = target(p, rnd, 'topk_weights');
      const t = get(p, key);
      const [a, b, c] = t.shape as [number, number, number];
      p.tensors.set(
        key,
        filled(
          'f32',
          pick(rnd, [
            [a, b, c + 1],
            [a + 1, b, c],
            [a, b + 1, c],
            [a, b],
          ]),
        ),
      );
      return fail('adapter-shape', key);
    },
  },
  {
    name: 'weights-dtype',
    when: isTopk,
    apply: (p, rnd) => {
      const { key } = target(p, rnd, 'topk_weights');
      p.tensors.set(key, filled(pick(rnd, ['i32', 'f64', 'u8'] as const), get(p, key).shape));
      return fail('adapter-dtype', key);
    },
  },
  {
    name: 'weight-out-of-range',
    when: (s) => isTopk(s) && s.k >= 2,
    apply: (p, rnd) => {
      const { key } = target(p, rnd, 'topk_weights');
      const t = get(p, key);
      const v = pick(rnd, [
        1.5,
        -0.25,
        -1e-30,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        1 + 2 ** -23,
      ]);
      p.tensors.set(key, withValue(t, int(rnd, 0, numel(t.shape) - 1), v));
      return fail('topk-weight-range', key);
    },
  },
  {
    name: 'weights-sum-above-one',
    when: (s) => isTopk(s) && s.k >= 3,
    apply: (p, rnd) => {
      const { key } = target(p, rnd, 'topk_weights');
      const t = get(p, key);
      const m = p.spec.k - 1;
      const row = int(rnd, 0, numel(t.shape) / m - 1);
      const each = Math.fround(Math.min(1, (1.0001 + rnd.uniform() * (m - 1.0001)) / m));
      let out = t;
      for (let j = 0; j < m; j++) out = withValue(out, row * m + j, each);
      p.tensors.set(key, out);
      return fail('topk-weight-sum', key);
    },
  },
];
