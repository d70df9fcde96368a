import {
  createConfig,
  createRng,
  tensor,
  type AdapterModule,
  type Factor,
  type HostTensor,
  type LowRankPair,
  type VBLoRAAdapter,
} from '@vblora/core';
import { expect } from 'vitest';

// Whole adapters for the composeAll tests: several shapes, top-k (int32 and int64 indices, float32 and bfloat16
// weights, k = 2 and k ≠ 2) and dense logits, odd sizes, special values; and a raw-bits comparison of pairs.

const rng = createRng(9191);

export interface Shape {
  readonly nv: number;
  readonly vl: number;
  readonly k: number;
  readonly r: number;
  /** [in_t, out_t] per module. */
  readonly tiles: readonly (readonly [number, number])[];
  /** Per module: A's and B's stored form. */
  readonly forms: readonly (readonly ['topk' | 'logits' | 'topk-i64' | 'topk-bf16', 'topk' | 'logits'])[];
  readonly special?: boolean;
}

/** A float with, when `special`, a few ±0, ±inf and NaN. */
function value(special: boolean, scale = 1): number {
  const u = rng.uniform();
  if (special && u < 0.03)
    return [0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY][Math.floor(u * 166)]!;
  return rng.normal() * scale;
}

function factor(form: string, lead: [number, number], s: Shape): Factor {
  const { nv, k } = s;
  const rows = lead[0] * lead[1];
  if (form === 'logits') {
    const logits = Float32Array.from({ length: rows * nv }, () => value(s.special === true, 2));
    if (s.special === true) for (let i = 0; i < logits.length; i += 7) logits[i] = Number.NEGATIVE_INFINITY;
    return { kind: 'logits', logits: tensor('f32', [...lead, nv], logits) };
  }
  // k distinct indices per row in descending-logit order, stored weights in [0, 1] (0 and 1 exactly sometimes)
  const idx = new Int32Array(rows * k);
  for (let row = 0; row < rows; row++) {
    const start = Math.floor(rng.uniform() * nv);
    for (let j = 0; j < k; j++) idx[row * k + j] = (start + j * 5) % nv;
  }
  const w = Float32Array.from({ length: rows * (k - 1) }, (_, i) =>
    i % 11 === 0 ? 1 : i % 13 === 0 ? 0 : (0.5 + 0.5 * rng.uniform()) / (k - 1),
  );
  const indices: HostTensor =
    form === 'topk-i64'
      ? tensor(
          'i64',
          [...lead, k],
          BigInt64Array.from(idx, (v) => BigInt(v)),
        )
      : tensor('i32', [...lead, k], idx);
  if (form === 'topk-bf16') {
    const bf = Uint16Array.from(w, (v) => new Uint32Array(Float32Array.of(v).buffer)[0]! >>> 16);
    return { kind: 'topk', indices, weights: tensor('bf16', [...lead, k - 1], bf) };
  }
  return { kind: 'topk', indices, weights: tensor('f32', [...lead, k - 1], w) };
}

export function adapterOf(s: Shape): VBLoRAAdapter {
  const { nv, vl, k, r } = s;
  const modules = new Map<string, AdapterModule>();
  s.tiles.forEach(([inT, outT], i) => {
    const path = `layers.${i}.proj`;
    const [fa, fb] = s.forms[i % s.forms.length]!;
    const a = factor(fa, [r, inT], s);
    const b = factor(fb, [outT, r], s);
    modules.set(path, { path, inFeatures: inT * vl, outFeatures: outT * vl, a, b });
  });
  const bank = tensor(
    'f32',
    [nv, vl],
    Float32Array.from({ length: nv * vl }, () => value(s.special === true)),
  );
  const config = createConfig({
    r,
    num_vectors: nv,
    vector_length: vl,
    topk: k,
    target_modules: ['proj'],
    save_only_topk_weights: s.forms.every(([a, b]) => a !== 'logits' && b !== 'logits'),
  });
  return { name: 'default', config, bank, modules, extraTensors: new Map(), metadata: null };
}

const rawBits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** Every pair of `got` equals `want`'s bit for bit (tolerance: none, NaN payloads included). */
export function sameRawBits(got: ReadonlyMap<string, LowRankPair>, want: ReadonlyMap<string, LowRankPair>): void {
  expect([...got.keys()]).toEqual([...want.keys()]);
  for (const [path, pair] of got) {
    for (const key of ['A', 'B'] as const) {
      const [x, y] = [rawBits(pair[key].data), rawBits(want.get(path)![key].data)];
      let diff = -1;
      for (let i = 0; i < x.length && diff < 0; i++) if (x[i] !== y[i]) diff = i;
      expect(diff, `${path}.${key}: first differing element ${diff}`).toBe(-1);
      expect(x.length).toBe(y.length);
    }
  }
}

export const SHAPES: Record<string, Shape> = {
  'k 2 top-k, r 4 (the r = 4 path), vl 8': {
    nv: 12,
    vl: 8,
    k: 2,
    r: 4,
    tiles: [
      [2, 3],
      [3, 1],
      [1, 2],
      [4, 4],
    ],
    forms: [['topk', 'topk']],
  },
  'k 2 top-k, odd sizes (r 3, vl 7, nv 13), int64 indices and bfloat16 weights, special values': {
    nv: 13,
    vl: 7,
    k: 2,
    r: 3,
    tiles: [
      [1, 1],
      [5, 3],
      [3, 7],
      [2, 1],
    ],
    forms: [
      ['topk', 'topk'],
      ['topk-i64', 'topk'],
      ['topk-bf16', 'topk'],
    ],
    special: true,
  },
  'k 3 top-k, r 5, vl 12': {
    nv: 17,
    vl: 12,
    k: 3,
    r: 5,
    tiles: [
      [2, 2],
      [1, 3],
      [3, 1],
    ],
    forms: [['topk', 'topk']],
  },
  'dense logits, k 2, r 4, vl 9, special values': {
    nv: 11,
    vl: 9,
    k: 2,
    r: 4,
    tiles: [
      [2, 1],
      [1, 3],
      [3, 2],
    ],
    forms: [['logits', 'logits']],
    special: true,
  },
  'dense logits, k 4, r 1, vl 16': {
    nv: 9,
    vl: 16,
    k: 4,
    r: 1,
    tiles: [
      [3, 2],
      [1, 1],
    ],
    forms: [['logits', 'logits']],
  },
  'mixed forms per module, k 2, r 2, vl 5': {
    nv: 10,
    vl: 5,
    k: 2,
    r: 2,
    tiles: [
      [2, 3],
      [3, 2],
      [1, 1],
      [2, 2],
    ],
    forms: [
      ['topk', 'logits'],
      ['logits', 'topk'],
      ['topk', 'topk'],
      ['logits', 'logits'],
    ],
    special: true,
  },
};
