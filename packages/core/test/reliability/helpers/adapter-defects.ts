import {
  BANK_KEY,
  DTYPE_ARRAY,
  createRng,
  factorKey,
  fromF32,
  numel,
  tensor,
  toF32,
  type DType,
  type FactorKeyKind,
  type HostTensor,
  type Rng,
} from '@vblora/core';
import type { AdapterParts, AdapterSpec } from './adapter-builder.js';

/** What loading a defective adapter must give: one typed error, or a load (with a warning when one is due). */
export type Expected =
  | { readonly kind: 'error'; readonly outcome: string; readonly tensor?: string }
  | { readonly kind: 'load'; readonly warning?: string | RegExp; readonly finite?: boolean };

/** One defect: where it applies, and how it breaks an otherwise valid adapter. */
export interface Defect {
  readonly name: string;
  readonly when?: (s: AdapterSpec) => boolean;
  readonly apply: (p: AdapterParts, rnd: Rng) => Expected;
}

const fail = (rule: string, tensor?: string): Expected =>
  tensor === undefined
    ? { kind: 'error', outcome: `CheckpointFormatError:${rule}` }
    : { kind: 'error', outcome: `CheckpointFormatError:${rule}`, tensor };
const pick = <T>(rnd: Rng, items: readonly T[]): T => items[Math.floor(rnd.uniform() * items.length)]!;
const int = (rnd: Rng, lo: number, hi: number): number => lo + Math.floor(rnd.uniform() * (hi - lo + 1));
const isTopk = (s: AdapterSpec): boolean => s.flavour === 'topk';
const isFull = (s: AdapterSpec): boolean => s.flavour === 'full';

/** A tensor of `dtype` and `shape` whose elements are `fill(i)`. */
function filled(dtype: DType, shape: readonly number[], fill: (i: number) => number = () => 0): HostTensor {
  const n = numel(shape);
  const data = new DTYPE_ARRAY[dtype](n);
  const big = dtype === 'i64' || dtype === 'u64';
  for (let i = 0; i < n; i++) (data as unknown as Record<number, number | bigint>)[i] = big ? BigInt(fill(i)) : fill(i);
  return tensor(dtype, shape, data as HostTensor['data']);
}

/** A random (path, factor) and its key of the given kind. */
function target(p: AdapterParts, rnd: Rng, kind: FactorKeyKind): { path: string; f: 'A' | 'B'; key: string } {
  const path = pick(rnd, p.paths);
  const f = pick(rnd, ['A', 'B'] as const);
  return { path, f, key: factorKey(path, f, kind) };
}

function get(p: AdapterParts, key: string): HostTensor {
  const t = p.tensors.get(key);
  if (t === undefined) throw new Error(`generator bug: no tensor ${key}`);
  return t;
}

/** Valid top-k tensors with the given leading dims: rows `0..k−1`, weights all 0 (in range, sum 0). */
function validTopk(lead: readonly number[], k: number, indexDtype: DType): { indices: HostTensor; weights: HostTensor } {
  return { indices: filled(indexDtype, [...lead, k], (i) => i % k), weights: filled('f32', [...lead, k - 1]) };
}

/** Writes one float value into a float tensor of any adapter dtype (bf16/f16 as their bit patterns). */
function withValue(t: HostTensor, at: number, v: number): HostTensor {
  const f = toF32(t);
  const data = Float32Array.from(f.data);
  data[at] = v;
  const out = tensor('f32', t.shape, data);
  return t.dtype === 'bf16' || t.dtype === 'f16' ? fromF32(out, t.dtype) : out;
}

function unravel(flat: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(flat % shape[d]!);
    flat = Math.floor(flat / shape[d]!);
  }
  return `(${idx.join(', ')})`;
}

/** Max value an integer dtype can hold (as a JS number; i64 capped at 2^53 − 1). */
const INT_MAX: Partial<Record<DType, number>> = { u8: 255, i8: 127, i16: 32767, u16: 65535, i32: 2 ** 31 - 1, u32: 2 ** 32 - 1, i64: Number.MAX_SAFE_INTEGER };
const INT_MIN: Partial<Record<DType, number>> = { i8: -128, i16: -32768, i32: -(2 ** 31), i64: -Number.MAX_SAFE_INTEGER };

export const DEFECTS: readonly Defect[] = [
  { name: 'none', apply: () => ({ kind: 'load', finite: true }) },

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
      return { kind: 'load', warning: `non-finite value ${v} in ${path}.vblora_logits_${f} at ${unravel(at, t.shape)}` };
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
      return { kind: 'load', warning: `${path}.vblora_logits_${f} row ${unravel(row, t.shape.slice(0, 2))} has no finite logit (all −inf): it composes to NaN` };
    },
  },

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
      p.tensors.set(key, filled(t.dtype, t.shape, (i) => (i === at ? v : Number(t.data[i]!))));
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
      p.tensors.set(key, filled(dtype, t.shape, (i) => (i === at ? v : Number(t.data[i]!))));
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
      p.tensors.set(key, filled(t.dtype, t.shape, (x) => Number(t.data[x === row * k + j ? row * k + i : x]!)));
      return fail('topk-index-duplicate', key);
    },
  },
  {
    name: 'index-other-int-dtype',
    when: isTopk,
    apply: (p, rnd) => {
      const { key } = target(p, rnd, 'topk_indices');
      const t = get(p, key);
      const dtype = pick(rnd, (['i16', 'u16', 'i32', 'u32', 'i64', 'u64'] as const).filter((d) => INT_MAX[d] === undefined || INT_MAX[d]! >= p.spec.nv));
      p.tensors.set(key, filled(dtype, t.shape, (i) => Number(t.data[i]!)));
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
      p.tensors.set(key, filled(t.dtype, [t.shape[0]!, t.shape[1]!, k], (i) => i % k));
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
      p.tensors.set(key, filled(t.dtype, pick(rnd, [[a * b, c], [1, a, b, c], [c]]), (i) => i % c));
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
      p.tensors.set(key, filled('f32', pick(rnd, [[a, b, c + 1], [a + 1, b, c], [a, b + 1, c], [a, b]])));
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
      const v = pick(rnd, [1.5, -0.25, -1e-30, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1 + 2 ** -23]);
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
      const key = pick(rnd, ['base_model.model.lm_head.weight', 'base_model.model.score.modules_to_save.weight', 'x', 'constructor', 'toString']);
      p.tensors.set(key, filled(pick(rnd, ['f32', 'bf16', 'i64', 'bool'] as const), [2, 3]));
      return { kind: 'load', finite: true };
    },
  },

  // ---- adapter_config.json against the tensors ----
  {
    name: 'config-num-vectors',
    apply: (p, rnd) => {
      const nv = Math.max(1, p.spec.nv + pick(rnd, [-1, 1, 7, -p.spec.nv + 1]));
      p.config['num_vectors'] = nv;
      return p.spec.k > nv ? { kind: 'error', outcome: 'ConfigError' } : fail('adapter-shape', BANK_KEY);
    },
  },
  {
    name: 'config-vector-length',
    apply: (p, rnd) => {
      p.config['vector_length'] = p.spec.vl + (p.spec.vl > 1 && rnd.uniform() < 0.5 ? -1 : 1);
      return fail('adapter-shape', BANK_KEY);
    },
  },
  {
    name: 'config-r',
    apply: (p, rnd) => {
      p.config['r'] = p.spec.r + (p.spec.r > 1 && rnd.uniform() < 0.5 ? -1 : 1);
      return fail('adapter-rank', p.paths[0]);
    },
  },
  {
    name: 'config-topk',
    apply: (p, rnd) => {
      const k = p.spec.k + (p.spec.k > 1 && rnd.uniform() < 0.5 ? -1 : 1);
      p.config['topk'] = k;
      if (k > p.spec.nv) return { kind: 'error', outcome: 'ConfigError' };
      if (isFull(p.spec)) return { kind: 'load', finite: true };
      return fail('adapter-shape', factorKey(p.paths[0]!, 'A', 'topk_indices'));
    },
  },
  {
    name: 'config-flavour-flag',
    apply: (p) => {
      p.config['save_only_topk_weights'] = !isTopk(p.spec);
      return isTopk(p.spec) ? { kind: 'load', warning: /save_only_topk_weights=false/, finite: true } : { kind: 'load', finite: true };
    },
  },
  {
    name: 'config-peft-type',
    apply: (p, rnd) => {
      p.config['peft_type'] = pick(rnd, ['LORA', 'vblora', '', null, 1]);
      return { kind: 'error', outcome: 'ConfigError' };
    },
  },
  {
    name: 'config-unknown-key',
    apply: (p, rnd) => {
      // defineProperty: a plain assignment to "__proto__" would set the prototype instead of adding a key
      const key = pick(rnd, ['future_option', 'constructor', '__proto__', 'toString']);
      Object.defineProperty(p.config, key, { value: { polluted: true }, enumerable: true, configurable: true, writable: true });
      return { kind: 'load', warning: /Unexpected keyword arguments/, finite: true };
    },
  },
];

/** A seeded stream for a defect's choices (which module, which element, which bad value). */
export const defectRng = (seed: number): Rng => createRng(seed);
