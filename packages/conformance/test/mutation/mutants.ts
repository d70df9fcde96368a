/**
 * The mutation table: single-bug variants of the example backend, each a mistake a real port could make, written
 * as exact edits of `examples/tiny-backend.ts`; and allowed rewrites, edits that change how a result is computed
 * but not what the contract lets it be. docs/conformance.md lists the outcome of every entry.
 * @module
 */
import type { KernelName } from '@vblora/core';
import type { Edit } from './variant.js';

/** A single-bug variant of the example backend. */
export interface Mutant {
  /** Stable id, kebab-case. */
  readonly id: string;
  /** The kernels the bug breaks; the variant is run against their cases only. */
  readonly kernels: readonly KernelName[];
  /** The bug, in one line (docs/conformance.md shows it). */
  readonly bug: string;
  readonly edits: readonly Edit[];
  /** A failing case's message must match this: the kit has to point at the symptom, not merely fail. */
  readonly symptom: RegExp;
}

/** An equivalent rewrite of the example backend: the whole kit must still pass. */
export interface Rewrite {
  readonly id: string;
  readonly what: string;
  readonly edits: readonly Edit[];
}

const TOPK_USERS: readonly KernelName[] = [
  'topkAdmixture',
  'topkWeightsForSave',
  'composeLowRank',
  'admixtureBackward',
  'composeBackward',
];
const INDEX_READERS: readonly KernelName[] = ['admixFromTopk', 'logitsFromTopk', 'composeLowRank'];
const HALF_WRITERS: readonly KernelName[] = ['merge', 'unmerge', 'linear', 'adapterForward', 'mixedBatchForward'];

/** Every mutant; docs/conformance.md has one row per id. */
export const MUTANTS: readonly Mutant[] = [
  // --- top-k selection, softmax, admixture
  {
    id: 'nan-ranks-lowest',
    kernels: TOPK_USERS,
    bug: 'NaN logits treated as −inf: ranked last instead of first',
    edits: [['if (na !== nb) return na ? -1 : 1;', 'if (na !== nb) return na ? 1 : -1;']],
    symptom: /indices|weights|must fail|returned a result/,
  },
  {
    id: 'tie-highest-index',
    kernels: TOPK_USERS,
    bug: 'ties broken towards the highest index',
    edits: [['    return a - b;\n  });', '    return b - a;\n  });']],
    symptom: /indices|A: |B: /,
  },
  {
    id: 'indices-ascending',
    kernels: ['topkAdmixture'],
    bug: 'the k selected indices returned in ascending index order, not by descending logit',
    edits: [
      [
        '    const idx = topk(r, k);\n    indices.set(idx, row * k);',
        '    const idx = topk(r, k).sort((a, b) => a - b);\n    indices.set(idx, row * k);',
      ],
    ],
    symptom: /^indices: /m,
  },
  {
    id: 'softmax-no-max-shift',
    kernels: ['topkAdmixture', 'composeLowRank'],
    bug: 'softmax without subtracting the max: exp overflows to NaN on large logits',
    edits: [
      ['const e = vals.map((v) => f32(Math.exp(f32(v - max))));', 'const e = vals.map((v) => f32(Math.exp(v)));'],
    ],
    symptom: /actual NaN/,
  },
  {
    id: 'softmax-over-all',
    kernels: ['topkAdmixture'],
    bug: 'softmax over all nv logits instead of the k selected ones',
    edits: [
      [
        'weights.set(softmax(idx.map((j) => r[j]!)), row * k);',
        'weights.set(((all) => idx.map((j) => all[j]!))(softmax(Array.from(r))), row * k);',
      ],
    ],
    symptom: /^weights: /m,
  },
  {
    id: 'indices-i16',
    kernels: ['topkAdmixture'],
    bug: 'indices returned as i16 (PEFT’s file dtype for nv < 32,768): wraps from 32,768 vectors on',
    edits: [
      [
        '  const indices = new Int32Array(rows * k);\n  const weights',
        '  const indices = new Int16Array(rows * k);\n  const weights',
      ],
      [
        "    indices: tensor('i32', [...lead, k], indices),\n    weights:",
        "    indices: tensor('i16', [...lead, k], indices),\n    weights:",
      ],
    ],
    symptom: /indices/,
  },
  {
    id: 'subvector-off-by-one',
    kernels: ['admixFromTopk', 'topkAdmixture', 'composeLowRank'],
    bug: 'bank sub-vector sliced one element late (`idx·vl + 1 …`)',
    edits: [
      [
        'bank.subarray(idx[row * k + j]! * vl, idx[row * k + j]! * vl + vl)',
        'bank.subarray(idx[row * k + j]! * vl + 1, idx[row * k + j]! * vl + vl + 1)',
      ],
    ],
    symptom: /vectors|A: |B: /,
  },
  {
    id: 'topk-no-k-check',
    kernels: ['topkAdmixture'],
    bug: 'k outside 1..nv not rejected',
    edits: [['  needK(k, nv, kernel);\n', '']],
    symptom: /must fail|returned a result|ShapeError/,
  },
  // --- index inputs
  {
    id: 'indices-u8',
    kernels: INDEX_READERS,
    bug: 'index inputs copied into a Uint8Array (PEFT’s file dtype for nv < 256): wraps from 256 vectors on',
    edits: [
      [
        '  const out = new Int32Array(data.length);\n  for (let i = 0; i < data.length; i++) {',
        '  const out = new Uint8Array(data.length);\n  for (let i = 0; i < data.length; i++) {',
      ],
    ],
    symptom: /vectors|logits|A: |B: /,
  },
  {
    id: 'i64-read-as-i32',
    kernels: INDEX_READERS,
    bug: 'i64 indices (BigInt64Array) read as 32-bit words of the same buffer',
    edits: [
      [
        'const data = t.data as ArrayLike<number | bigint>;',
        'const data = (t.data instanceof BigInt64Array ? new Int32Array(t.data.buffer, t.data.byteOffset, t.data.length) : t.data) as ArrayLike<number | bigint>;',
      ],
    ],
    symptom: /vectors|logits|A: |B: /,
  },
  {
    id: 'index-no-range-check',
    kernels: INDEX_READERS,
    bug: 'an index ≥ nv not rejected (reads past the bank)',
    edits: [['if (!(Number.isInteger(v) && v >= 0 && v < nv))', 'if (!(Number.isInteger(v) && v >= 0))']],
    symptom: /must fail|returned a result|ShapeError/,
  },
  // --- top-k checkpoints
  {
    id: 'reload-fill-zero',
    kernels: ['logitsFromTopk'],
    bug: 'logits outside the top-k filled with 0 instead of −inf',
    edits: [['new Float32Array(rows * nv).fill(-Infinity)', 'new Float32Array(rows * nv).fill(0)']],
    symptom: /^logits: /m,
  },
  {
    id: 'reload-duplicate-first-wins',
    kernels: ['logitsFromTopk'],
    bug: 'duplicate indices: the first write wins (torch’s scatter keeps the last)',
    edits: [
      [
        'for (let j = 0; j < k; j++) out[row * nv + idx[row * k + j]!]',
        'for (let j = k - 1; j >= 0; j--) out[row * nv + idx[row * k + j]!]',
      ],
    ],
    symptom: /^logits: /m,
  },
  {
    id: 'reload-ignores-safe',
    kernels: ['logitsFromTopk'],
    bug: '`safe` ignored: a negative restored weight still gives NaN',
    edits: [['    if (safe) w[k - 1] = Math.max(w[k - 1]!, 0);\n', '']],
    symptom: /^logits: /m,
  },
  {
    id: 'reload-sum-f64',
    kernels: ['logitsFromTopk'],
    bug: 'the dropped weight restored as 1 − Σw in float64 (PEFT sums in float32)',
    edits: [['return [...w, f32(1 - sumF32(w))];', 'return [...w, f32(1 - w.reduce((a, b) => a + b, 0))];']],
    symptom: /^logits: /m,
  },
  {
    id: 'topk-reload-unclamped',
    kernels: ['topkReload'],
    bug: 'top-k reload: a negative restored weight 1 − Σw not clamped at 0 (PEFT’s NaN)',
    edits: [
      [
        '    restored[k - 1] = Math.max(restored[k - 1]!, 0); // 1 − Σ stored < 0 by rounding: weight 0, never NaN\n',
        '',
      ],
    ],
    symptom: /^weights: /m,
  },
  {
    id: 'topk-reload-file-order',
    kernels: ['topkReload'],
    bug: 'top-k reload keeps the file order instead of re-ranking (the restored weight can be the largest)',
    edits: [['    const order = topk(lg, k);\n', '    const order = Array.from({ length: k }, (_, j) => j);\n']],
    symptom: /^(indices|weights): /m,
  },
  {
    id: 'save-no-adjustment',
    kernels: ['topkWeightsForSave'],
    bug: 'save without the NaN-safety adjustment (PEFT reloads such rows as NaN)',
    edits: [
      [
        '    if (!reloadsSafely(keep)) {\n      nudgedRows.push(row);\n      while (!reloadsSafely(keep) && keep[0]! > 0) keep[0] = fromBits(bitsOf(keep[0]!) - 1); // lower the largest by one ulp\n    }\n',
        '',
      ],
    ],
    symptom: /weightsKm1/,
  },
  {
    id: 'save-no-k4-margin',
    kernels: ['topkWeightsForSave'],
    bug: 'save adjustment checks only the in-order float32 sum (no margin for k ≥ 4)',
    edits: [['  if (m <= 2) return true;\n', '  return true;\n']],
    symptom: /weightsKm1/,
  },
  {
    id: 'save-drops-largest',
    kernels: ['topkWeightsForSave'],
    bug: 'stores the k−1 smallest weights (drops the largest)',
    edits: [['const keep = w.slice(0, k - 1);', 'const keep = w.slice(1);']],
    symptom: /^weightsKm1: /m,
  },
  {
    id: 'save-no-nonfinite-error',
    kernels: ['topkWeightsForSave'],
    bug: 'non-finite weights (NaN/+inf logits) saved instead of rejected',
    edits: [
      [
        "    if (!w.every(Number.isFinite)) {\n      throw new NumericalError(`${K}: logits row ${row} gives non-finite top-k weights; PEFT would save NaN`, 'logits');\n    }\n",
        '',
      ],
    ],
    symptom: /must fail|returned a result|NumericalError/,
  },
  {
    id: 'save-nudges-smallest',
    kernels: ['topkWeightsForSave'],
    bug: 'save adjustment lowers the smallest stored weight instead of the largest',
    edits: [
      [
        'while (!reloadsSafely(keep) && keep[0]! > 0) keep[0] = fromBits(bitsOf(keep[0]!) - 1);',
        'while (!reloadsSafely(keep) && keep[k - 2]! > 0) keep[k - 2] = fromBits(bitsOf(keep[k - 2]!) - 1);',
      ],
    ],
    symptom: /^weightsKm1: /m,
  },
  // --- compose
  {
    id: 'b-transposed',
    kernels: ['composeLowRank'],
    bug: 'B laid out (r, out) and returned as (out, r)',
    edits: [
      [
        'B[(t * vl + c) * r + i] = b.data[(t * r + i) * vl + c]!;',
        'B[i * outT * vl + t * vl + c] = b.data[(t * r + i) * vl + c]!;',
      ],
    ],
    symptom: /^B: /m,
  },
  {
    id: 'a-tile-major',
    kernels: ['composeLowRank'],
    bug: 'A assembled like B: (in, r) values returned as (r, in)',
    edits: [
      [
        "return { A: tensor('f32', [r, inT * vl], a.data),",
        "return { A: tensor('f32', [r, inT * vl], Float32Array.from(a.data, (_, j) => a.data[(j % r) * inT * vl + Math.floor(j / r)]!)),",
      ],
    ],
    symptom: /^A: /m,
  },
  {
    id: 'topk-form-softmaxed',
    kernels: ['composeLowRank'],
    bug: 'the weights of a top-k form put through softmax again',
    edits: [
      [
        'mix(idx, needF32(src.weights, K, `${arg}.weights`), k, bank.data, vl)',
        'mix(idx, Float32Array.from(src.weights.data, (_, q) => softmax(Array.from(src.weights.data.subarray(q - (q % k), q - (q % k) + k)))[q % k]!), k, bank.data, vl)',
      ],
    ],
    symptom: /A: |B: /,
  },
  {
    id: 'logits-normalised-in-place',
    kernels: ['composeLowRank', 'topkAdmixture'],
    bug: 'writes into its input: subtracts each row’s max from the caller’s logits before top-k',
    edits: [
      [
        '    const r = l.subarray(row * nv, row * nv + nv);\n    const idx = topk(r, k);\n    indices.set(idx, row * k);',
        '    const r = l.subarray(row * nv, row * nv + nv);\n    const top = Math.max(...r);\n    if (Number.isFinite(top)) r.forEach((v, j) => (r[j] = f32(v - top)));\n    const idx = topk(r, k);\n    indices.set(idx, row * k);',
      ],
    ],
    symptom: /wrote into its argument/,
  },
  {
    id: 'compose-from-reference',
    kernels: ['composeLowRank'],
    bug: 'hands the work to core’s reference kernel (silent fallback)',
    edits: [
      [
        '  composeLowRank,\n  deltaWeight,\n  merge:',
        '  composeLowRank: referenceComposeLowRank,\n  deltaWeight,\n  merge:',
      ],
    ],
    symptom: /silent fallback/,
  },
  // --- delta, merge, unmerge
  {
    id: 'delta-as-object',
    kernels: ['deltaWeight'],
    bug: 'returns `{ delta }` instead of the tensor',
    edits: [
      [
        "return tensor('f32', fanInFanOut ? [inF, outF] : [outF, inF], delta(A, B, fanInFanOut));",
        "return { delta: tensor('f32', fanInFanOut ? [inF, outF] : [outF, inF], delta(A, B, fanInFanOut)) } as never;",
      ],
    ],
    symptom: /must (return its one output .* as a tensor|be a host tensor)|got an object/,
  },
  {
    id: 'fan-in-fan-out-ignored',
    kernels: ['deltaWeight', 'merge', 'unmerge'],
    bug: 'fan_in_fan_out ignored: the delta is never transposed',
    edits: [['d[fanInFanOut ? i * outF + o : o * inF + i] = dot(', 'd[o * inF + i] = dot(']],
    symptom: /delta|weight/,
  },
  {
    id: 'merge-ignores-safe',
    kernels: ['merge', 'unmerge'],
    bug: '`safe` ignored: a non-finite merged weight is returned, not rejected',
    edits: [['  if (safe) {\n    const bad = widen(result', '  if (safe && false) {\n    const bad = widen(result']],
    symptom: /must fail|returned a result/,
  },
  {
    id: 'merge-safe-before-rounding',
    kernels: ['merge', 'unmerge'],
    bug: 'safe mode checks the float32 sum, not the rounded weight (misses f16 overflow to inf)',
    edits: [["const bad = widen(result, kernel, 'weight').findIndex(", 'const bad = sum.findIndex(']],
    symptom: /must fail|returned a result/,
  },
  {
    id: 'merge-safe-nan-only',
    kernels: ['merge', 'unmerge'],
    bug: 'safe mode rejects NaN but lets ±inf through',
    edits: [
      [
        'findIndex((v) => !Number.isFinite(v)); // after rounding',
        'findIndex((v) => Number.isNaN(v)); // after rounding',
      ],
    ],
    symptom: /must fail|returned a result/,
  },
  {
    id: 'bf16-round-half-away',
    kernels: HALF_WRITERS,
    bug: 'bf16 rounding: ties away from zero instead of to even',
    edits: [['return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;', 'return ((u + 0x8000) >>> 16) & 0xffff;']],
    symptom: /bf16|^weight: |^y: /m,
  },
  {
    id: 'bf16-truncate',
    kernels: HALF_WRITERS,
    bug: 'bf16 rounding by truncation',
    edits: [['return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;', 'return (u >>> 16) & 0xffff;']],
    symptom: /not rounded to nearest even in bf16/,
  },
  {
    id: 'f16-subnormals-flushed',
    kernels: HALF_WRITERS,
    bug: 'f16 subnormal results flushed to ±0',
    edits: [['if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24);', 'if (a < 2 ** -14) return sign;']],
    symptom: /f16|^weight: |^y: /m,
  },
  {
    id: 'f16-overflow-saturates',
    kernels: HALF_WRITERS,
    bug: 'f16 rounding saturates at 65504 instead of overflowing to ±inf',
    edits: [['if (a >= 65520) return sign | 0x7c00;', 'if (a >= 65504) return sign | 0x7bff;']],
    symptom: /f16|must fail|returned a result|^weight: |^y: /m,
  },
  {
    id: 'f16-nan-unhandled',
    kernels: HALF_WRITERS,
    bug: 'hand-written f16 conversion without a NaN branch (NaN comes out as +0)',
    edits: [['  if (Number.isNaN(x)) return 0x7e00;\n', '']],
    symptom: /f16|^weight: |^y: /m,
  },
  {
    id: 'merge-delta-rounded-first',
    kernels: ['merge', 'unmerge'],
    bug: 'ΔW rounded to the weight dtype before the addition (two roundings)',
    edits: [
      [
        '  const d = delta(A, B, fanInFanOut);\n  const sum',
        "  const d = widen(narrow(delta(A, B, fanInFanOut), weight.dtype, weight.shape), kernel, 'weight');\n  const sum",
      ],
    ],
    symptom: /not rounded to nearest even/,
  },
  {
    id: 'unmerge-adds',
    kernels: ['unmerge'],
    bug: 'unmerge adds the delta',
    edits: [[': w[j]! - d[j]!;', ': w[j]! + d[j]!;']],
    symptom: /^weight: /m,
  },
  {
    id: 'unmerge-zero-sign',
    kernels: ['unmerge'],
    bug: 'unmerge computed as −(ΔW − W): −0 where W = ΔW (PEFT gives +0)',
    edits: [[': w[j]! - d[j]!;', ': -(d[j]! - w[j]!);']],
    symptom: /sign of zero|-0/,
  },
  {
    id: 'merge-in-place',
    kernels: ['merge', 'unmerge'],
    bug: 'writes into its input: merges into the caller’s weight and returns it',
    edits: [
      [
        '  return result;\n}\n',
        '  (weight.data as Float32Array).set(result.data as Float32Array);\n  return { ...result, data: weight.data } as HostTensor;\n}\n',
      ],
    ],
    symptom: /wrote into its argument/,
  },
  // --- forward passes
  {
    id: 'linear-fan-in-fan-out-ignored',
    kernels: ['linear'],
    bug: 'linear reads a Conv1D (in, out) weight as (out, in)',
    edits: [['xs[n * inF + i]! * w[fanInFanOut ? i * outF + o : o * inF + i]!', 'xs[n * inF + i]! * w[o * inF + i]!']],
    symptom: /^y: /m,
  },
  {
    id: 'linear-output-f32',
    kernels: ['linear'],
    bug: 'linear returns float32 whatever x’s dtype',
    edits: [
      [
        'return narrow(y, x.dtype, [...x.shape.slice(0, -1), outF]);',
        "return tensor('f32', [...x.shape.slice(0, -1), outF], y);",
      ],
    ],
    symptom: /dtype f32|got f32/,
  },
  {
    id: 'linear-dtype-from-weight',
    kernels: ['linear'],
    bug: 'linear output dtype taken from the weight instead of x',
    edits: [
      [
        'return narrow(y, x.dtype, [...x.shape.slice(0, -1), outF]);',
        'return narrow(y, weight.dtype, [...x.shape.slice(0, -1), outF]);',
      ],
    ],
    symptom: /dtype|must be (f32|bf16|f16), got/,
  },
  {
    id: 'linear-one-dtype',
    kernels: ['linear'],
    bug: 'weight and bias read as if they had x’s dtype',
    edits: [
      [
        "  const w = widen(weight, K, 'weight');\n  const inF",
        "  const w = widen({ ...weight, dtype: x.dtype }, K, 'weight');\n  const inF",
      ],
      ["widen(bias, K, 'bias')", "widen({ ...bias, dtype: x.dtype }, K, 'bias')"],
    ],
    symptom: /^y: |must be (f32|bf16|f16)/m,
  },
  {
    id: 'forward-dtype-from-base',
    kernels: ['adapterForward'],
    bug: 'output dtype taken from baseOut instead of x (PEFT returns x’s dtype)',
    edits: [['return narrow(y, x.dtype, baseOut.shape);', 'return narrow(y, baseOut.dtype, baseOut.shape);']],
    symptom: /dtype|must be (f32|bf16|f16), got/,
  },
  {
    id: 'forward-base-as-x-dtype',
    kernels: ['adapterForward'],
    bug: 'baseOut read as if it had x’s dtype',
    edits: [
      [
        "  const base = widen(baseOut, K, 'baseOut');\n  const y = new Float32Array(rows * outF);",
        "  const base = widen({ ...baseOut, dtype: x.dtype }, K, 'baseOut');\n  const y = new Float32Array(rows * outF);",
      ],
    ],
    symptom: /^y: |must be (f32|bf16|f16)/m,
  },
  {
    id: 'forward-scaled-by-rank',
    kernels: ['adapterForward', 'mixedBatchForward'],
    bug: 'adapter term scaled by 1/r (LoRA’s alpha/r habit; VB-LoRA has no scaling)',
    edits: [['dot(r, (q) => h[q]! * B.data[o * r + q]!));', 'dot(r, (q) => h[q]! * B.data[o * r + q]!) / r);']],
    symptom: /^y: /m,
  },
  {
    id: 'dropout-mask-inverted',
    kernels: ['adapterForward'],
    bug: 'dropout keeps the elements the mask drops',
    edits: [['(mask[j] === 1 ? f32(v * scale) : 0)', '(mask[j] === 0 ? f32(v * scale) : 0)']],
    symptom: /^y: /m,
  },
  {
    id: 'dropout-not-rescaled',
    kernels: ['adapterForward'],
    bug: 'dropout without the 1/(1 − p) rescaling of kept elements',
    edits: [['(mask[j] === 1 ? f32(v * scale) : 0)', '(mask[j] === 1 ? v : 0)']],
    symptom: /^y: /m,
  },
  {
    id: 'dropout-mask-per-row',
    kernels: ['adapterForward'],
    bug: 'dropout mask drawn per row (the stream restarted for every row of x)',
    edits: [
      [
        'const mask = dropoutMask(xs.length, dropout.p, dropout.seed);',
        'const mask = Uint8Array.from(xs, (_, j) => dropoutMask(inF, dropout.p, dropout.seed)[j % inF]!);',
      ],
    ],
    symptom: /^y: /m,
  },
  {
    id: 'mixed-minus-one-is-last',
    kernels: ['mixedBatchForward'],
    bug: 'row adapter −1 read with `adapters.at(−1)`: base-only rows get the last adapter',
    edits: [
      [
        '    if (a === -1) y.set(base.subarray(row * outF, row * outF + outF), row * outF);\n    else if (a >= 0 && a < adapters.length) adapterRow(xs, row * inF, base, adapters[a]!.A, adapters[a]!.B, y, row * outF);',
        '    const ad = adapters.at(a);\n    if (ad !== undefined) adapterRow(xs, row * inF, base, ad.A, ad.B, y, row * outF);',
      ],
    ],
    symptom: /^y: /m,
  },
  {
    id: 'mixed-row-not-checked',
    kernels: ['mixedBatchForward'],
    bug: 'a row adapter number out of range is not rejected (the row is left at zero)',
    edits: [
      [
        "    else fail(K, 'rowAdapter', `[${row}] = ${a} is not −1 or an adapter number below ${adapters.length}`);\n",
        '',
      ],
    ],
    symptom: /must fail|returned a result/,
  },
  // --- backward
  {
    id: 'backward-no-centering',
    kernels: ['admixtureBackward', 'composeBackward'],
    bug: 'softmax backward without the −Σ w·dw term: dlogit_j = w_j·dw_j',
    edits: [['gradLogits[row * nv + j] = w[q]! * (dw[q]! - centre);', 'gradLogits[row * nv + j] = w[q]! * dw[q]!;']],
    symptom: /gradLogits/,
  },
  {
    id: 'backward-bank-overwritten',
    kernels: ['admixtureBackward', 'composeBackward'],
    bug: 'bank gradient assigned instead of accumulated over rows',
    edits: [
      [
        'gradBank[j * vl + c] = gradBank[j * vl + c]! + w[q]! * g[row * vl + c]!;',
        'gradBank[j * vl + c] = w[q]! * g[row * vl + c]!;',
      ],
    ],
    symptom: /^gradBank: /m,
  },
  {
    id: 'backward-grad-b-untransposed',
    kernels: ['composeBackward'],
    bug: 'dL/dB read as (out_t, r, vl) without undoing B’s transposition',
    edits: [
      [
        'gB[(t * r + i) * vl + c] = gBdata[(t * vl + c) * r + i]!;',
        'gB[(t * r + i) * vl + c] = gBdata[(t * r + i) * vl + c]!;',
      ],
    ],
    symptom: /gradLogitsB|gradBank/,
  },
  {
    id: 'backward-bank-from-a-only',
    kernels: ['composeBackward'],
    bug: 'bank gradient from A only (B’s contribution dropped)',
    edits: [
      [
        "backwardRows(needF32(logitsB, K, 'logitsB'), nv, k, bank.data, vl, gB, gradBank);",
        "backwardRows(needF32(logitsB, K, 'logitsB'), nv, k, bank.data, vl, gB, new Float64Array(nv * vl));",
      ],
    ],
    symptom: /^gradBank: /m,
  },
];

/** Every allowed rewrite; each must pass the whole kit. */
export const REWRITES: readonly Rewrite[] = [
  {
    id: 'float64-accumulation',
    what: 'products and sums in float64, rounded once when stored',
    edits: [
      ['for (let j = 0; j < n; j++) acc = f32(acc + f32(term(j)));', 'for (let j = 0; j < n; j++) acc += term(j);'],
    ],
  },
  {
    id: 'reverse-summation',
    what: 'every sum of products taken from the last term to the first',
    edits: [
      [
        'for (let j = 0; j < n; j++) acc = f32(acc + f32(term(j)));',
        'for (let j = n - 1; j >= 0; j--) acc = f32(acc + f32(term(j)));',
      ],
    ],
  },
  {
    id: 'pairwise-summation',
    what: 'sums of products as two half sums added at the end (blocked / tree order)',
    edits: [
      [
        'for (let j = 0; j < n; j++) acc = f32(acc + f32(term(j)));\n  return acc;',
        'let hi = 0;\n  for (let j = 0; j < n; j++) if (j < n >> 1) acc = f32(acc + f32(term(j))); else hi = f32(hi + f32(term(j)));\n  return f32(acc + hi);',
      ],
    ],
  },
  {
    id: 'delta-loop-order',
    what: 'B·A with the loops over in and out swapped',
    edits: [
      [
        '  for (let o = 0; o < outF; o++) {\n    for (let i = 0; i < inF; i++) {\n      d[',
        '  for (let i = 0; i < inF; i++) {\n    for (let o = 0; o < outF; o++) {\n      d[',
      ],
    ],
  },
  {
    id: 'softmax-division',
    what: 'softmax weights as e_j / Σe (division) instead of e_j · (1/Σe)',
    edits: [
      [
        '  const inv = f32(1 / dot(e.length, (j) => e[j]!));\n  return e.map((x) => f32(x * inv));',
        '  const s = dot(e.length, (j) => e[j]!);\n  return e.map((x) => f32(x / s));',
      ],
    ],
  },
  {
    id: 'topk-by-selection',
    what: 'top-k by k passes of “take the best remaining” instead of a full sort',
    edits: [
      [
        '  const order = Array.from({ length: row.length }, (_, j) => j);\n  order.sort((a, b) => {',
        '  const better = (a: number, b: number): boolean => {\n    const na = Number.isNaN(row[a]!);\n    const nb = Number.isNaN(row[b]!);\n    return na !== nb ? na : !na && row[a] !== row[b] ? row[a]! > row[b]! : a < b;\n  };\n  const picked: number[] = [];\n  for (let q = 0; q < Math.min(k, row.length); q++) {\n    let best = -1;\n    for (let j = 0; j < row.length; j++) if (!picked.includes(j) && (best < 0 || better(j, best))) best = j;\n    picked.push(best);\n  }\n  if (picked.length >= 0) return picked;\n  const order = Array.from({ length: row.length }, (_, j) => j);\n  order.sort((a, b) => {',
      ],
    ],
  },
];
