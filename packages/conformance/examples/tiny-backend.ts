/**
 * A tiny third-party backend, written from the contract alone (docs/adding-a-backend.md walks through it): four
 * kernels in plain float32 JavaScript. The `bugs` switches exist so the conformance suite can prove that it
 * catches each classic mistake; with no bug switched on, the backend passes every case of its kernels.
 * @module
 */
import {
  defineBackend,
  f32ToBf16Bits,
  f32ToF16Bits,
  bf16BitsToF32,
  f16BitsToF32,
  composeLowRank as referenceCompose,
  tensor,
  type Backend,
  type HostTensor,
  type KernelSet,
} from '@vblora/core';

/** Deliberate bugs, each one a mistake a real port could make. */
export interface TinyBackendBugs {
  /** Break ties at the k-th place towards the highest index instead of the lowest. */
  readonly tieHighestIndex?: boolean;
  /** Lay B out as (r, out) values read back as (out, r): B transposed. */
  readonly transposeB?: boolean;
  /** Ignore `fanInFanOut` in deltaWeight and merge. */
  readonly ignoreFanInFanOut?: boolean;
  /** Round merged bf16/f16 weights by truncation instead of to nearest even. */
  readonly truncateHalf?: boolean;
  /** Softmax over all nv logits instead of the k selected ones. */
  readonly softmaxOverAll?: boolean;
  /** Return core's reference result from composeLowRank instead of computing it. */
  readonly copyFromReference?: boolean;
}

function topk(row: Float32Array, k: number, highest: boolean): number[] {
  const order = Array.from(row.keys());
  order.sort((a, b) => (row[b]! !== row[a]! ? row[b]! - row[a]! : highest ? b - a : a - b));
  return order.slice(0, k);
}

function admix(logits: HostTensor<'f32'>, bank: HostTensor<'f32'>, k: number, bugs: TinyBackendBugs) {
  const nv = bank.shape[0]!;
  const vl = bank.shape[1]!;
  const rows = logits.data.length / nv;
  const indices = new Int32Array(rows * k);
  const weights = new Float32Array(rows * k);
  const vectors = new Float32Array(rows * vl);
  for (let r = 0; r < rows; r++) {
    const row = logits.data.subarray(r * nv, (r + 1) * nv) as Float32Array;
    const idx = topk(row, k, bugs.tieHighestIndex === true);
    const pool = bugs.softmaxOverAll === true ? Array.from(row.keys()) : idx;
    const max = Math.max(...pool.map((j) => row[j]!));
    const sum = pool.reduce((s, j) => s + Math.exp(row[j]! - max), 0);
    idx.forEach((j, q) => {
      indices[r * k + q] = j;
      weights[r * k + q] = Math.exp(row[j]! - max) / sum;
      for (let c = 0; c < vl; c++) vectors[r * vl + c] = vectors[r * vl + c]! + weights[r * k + q]! * bank.data[j * vl + c]!;
    });
  }
  const lead = logits.shape.slice(0, -1);
  return {
    indices: tensor('i32', [...lead, k], indices),
    weights: tensor('f32', [...lead, k], weights),
    vectors: tensor('f32', [...lead, vl], vectors),
  };
}

/** (out, in) delta, or (in, out) with fanInFanOut; a plain float64 sum rounded once. */
function delta(A: HostTensor<'f32'>, B: HostTensor<'f32'>, fanInFanOut: boolean): Float32Array {
  const [r, inF] = A.shape as [number, number];
  const out = B.shape[0]!;
  const d = new Float32Array(out * inF);
  for (let o = 0; o < out; o++) {
    for (let i = 0; i < inF; i++) {
      let s = 0;
      for (let q = 0; q < r; q++) s += B.data[o * r + q]! * A.data[q * inF + i]!;
      d[fanInFanOut ? i * out + o : o * inF + i] = s;
    }
  }
  return d;
}

/** The tiny backend, optionally with bugs. */
export function tinyBackend(bugs: TinyBackendBugs = {}): Backend {
  const composeLowRank: KernelSet['composeLowRank'] = (args) => {
    if (bugs.copyFromReference === true) return referenceCompose(args);
    const { bank, k } = args;
    const vl = bank.shape[1]!;
    // sub-vectors (…, vl) from logits, or from a top-k form (indices + all k weights)
    const vectors = (src: typeof args.logitsA): Float32Array => {
      if ('dtype' in src) return admix(src, bank, k, bugs).vectors.data;
      const rows = src.indices.data.length / k;
      const out = new Float32Array(rows * vl);
      for (let q = 0; q < rows * k; q++) {
        const j = Number(src.indices.data[q]!);
        for (let c = 0; c < vl; c++) {
          const o = Math.floor(q / k) * vl + c;
          out[o] = out[o]! + src.weights.data[q]! * bank.data[j * vl + c]!;
        }
      }
      return out;
    };
    const lead = (src: typeof args.logitsA) => ('dtype' in src ? src.shape : src.indices.shape);
    const [r, inT] = lead(args.logitsA) as [number, number];
    const [outT] = lead(args.logitsB) as [number];
    const sa = vectors(args.logitsA); // (r, in_t, vl) = A (r, in)
    const sb = vectors(args.logitsB); // (out_t, r, vl)
    const B = new Float32Array(outT * vl * r);
    for (let t = 0; t < outT; t++) {
      for (let i = 0; i < r; i++) {
        for (let c = 0; c < vl; c++) {
          const v = sb[(t * r + i) * vl + c]!;
          if (bugs.transposeB === true) B[i * outT * vl + t * vl + c] = v;
          else B[(t * vl + c) * r + i] = v;
        }
      }
    }
    return { A: tensor('f32', [r, inT * vl], Float32Array.from(sa)), B: tensor('f32', [outT * vl, r], B) };
  };
  return defineBackend({
    name: 'tiny',
    precision: 'f32',
    isAvailable: () => true,
    kernels: {
      topkAdmixture: (args) => admix(args.logits, args.bank, args.k, bugs),
      composeLowRank,
      deltaWeight: (args) => {
        const fan = args.fanInFanOut === true && bugs.ignoreFanInFanOut !== true;
        const shape = fan ? [args.A.shape[1]!, args.B.shape[0]!] : [args.B.shape[0]!, args.A.shape[1]!];
        return tensor('f32', shape, delta(args.A, args.B, fan));
      },
      merge: ((args) => {
        const w = args.weight;
        const d = delta(args.A, args.B, args.fanInFanOut === true && bugs.ignoreFanInFanOut !== true);
        if (w.dtype === 'f32') {
          return tensor('f32', w.shape, Float32Array.from(w.data as Float32Array, (v, i) => v + d[i]!));
        }
        const [toF32, fromF32] = w.dtype === 'bf16' ? [bf16BitsToF32, f32ToBf16Bits] : [f16BitsToF32, f32ToF16Bits];
        const bits = Uint16Array.from(w.data as Uint16Array, (old, i) => {
          const sum = Math.fround(toF32(old) + d[i]!);
          const h = fromF32(sum);
          if (bugs.truncateHalf !== true) return h;
          // truncation toward zero: step back one ulp wherever nearest-even rounded away from zero
          return Math.abs(toF32(h)) > Math.abs(sum) ? h - 1 : h;
        });
        return tensor(w.dtype, w.shape, bits as never);
      }) as KernelSet['merge'],
    },
  });
}
