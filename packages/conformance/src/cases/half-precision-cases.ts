/**
 * bf16/f16 edge cases of the kernels that round to a half-precision dtype: f16 subnormals (never flushed to zero),
 * exact rounding midpoints in merges (ties to even, nothing else), and the sign of zero (−0 and +0 are different
 * bit patterns, and bf16/f16 merge results are declared bit-identical to the round-to-nearest-even of the float32
 * result). Inputs with exact float32 results are built from powers of two, so the midpoint tolerance is 0.
 * Expected values are the reference kernels'.
 * @module
 */
import { tensor, type Rng } from '@vblora/core';
import type { ConformanceCase } from '../case.js';
import { normal, rngFor } from './random-inputs.js';
import { referenceCase, type CheckBuilder } from './reference-case.js';
import { roundingCheck } from './rounding-check.js';
import { halfTensor, pick } from './special-inputs.js';

type Half = 'bf16' | 'f16';

function sign(rng: Rng): number {
  return rng.uniform() < 0.5 ? -1 : 1;
}

/** Rounding checks for merge/unmerge with the given midpoint slack (0: the float32 result is exact in any order). */
function round(kernel: 'merge' | 'unmerge', slack?: number): CheckBuilder<'merge'> {
  return (e, a, p) => roundingCheck(kernel, e, a, p, slack);
}

/**
 * Merge inputs whose float32 result lies exactly on a rounding midpoint for half the weights: weights
 * ±(1 + m/128) (bf16) or ±(1 + m/1024) (f16) in [1, 2), deltas of ±half an ulp there (sums of two exact products),
 * and weights in [2, 4) where the same delta is a quarter ulp.
 */
function midpointArgs(dtype: Half, seed: number, fanInFanOut: boolean) {
  const rng = rngFor(seed);
  const [outF, inF, r] = [6, 8, 2];
  const steps = dtype === 'bf16' ? 128 : 1024;
  // each product is a quarter ulp at [1, 2): two of them make half an ulp, or cancel
  const a = dtype === 'bf16' ? 2 ** -5 : 2 ** -6;
  const b = dtype === 'bf16' ? 2 ** -4 : 2 ** -6;
  const A = tensor(
    'f32',
    [r, inF],
    Float32Array.from({ length: r * inF }, () => sign(rng) * a),
  );
  const B = tensor(
    'f32',
    [outF, r],
    Float32Array.from({ length: outF * r }, () => sign(rng) * b),
  );
  const w = Array.from(
    { length: outF * inF },
    () => sign(rng) * (1 + pick(rng, steps) / steps) * (rng.uniform() < 0.75 ? 1 : 2),
  );
  const shape = fanInFanOut ? [inF, outF] : [outF, inF];
  return { weight: halfTensor(dtype, shape, w), A, B, fanInFanOut };
}

/**
 * Zeros whose sign does not depend on how the delta is summed: weights equal to ∓delta (the float32 result cancels
 * exactly, which is +0 in round-to-nearest), and in f16 tiny results that round to −0 or +0 (below half the smallest
 * subnormal). Deltas are sums of two exact products of different size, never zero — a zero delta's sign (+0 when
 * summed from 0, −0 when started from a negative product) is a summation-order detail, so a ±0 weight plus a zero
 * delta is not asked about.
 */
function zeroSignArgs(dtype: Half, seed: number) {
  const rng = rngFor(seed);
  const [outF, inF, r] = [6, 8, 2];
  const scale = dtype === 'f16' ? 2 ** -12 : 2 ** -3; // f16: products of 2^-25 and 2^-26, below the smallest subnormal
  const A = tensor('f32', [r, inF], new Float32Array(r * inF));
  for (let i = 0; i < inF; i++) {
    A.data[i] = sign(rng) * scale;
    A.data[inF + i] = sign(rng) * scale * 0.5;
  }
  const B = tensor(
    'f32',
    [outF, r],
    Float32Array.from({ length: outF * r }, () => sign(rng) * scale * 0.5),
  );
  const w = new Float32Array(outF * inF);
  for (let o = 0; o < outF; o++) {
    for (let i = 0; i < inF; i++) {
      const delta = B.data[o * r]! * A.data[i]! + B.data[o * r + 1]! * A.data[inF + i]!; // exact: powers of two
      const kind = pick(rng, 4);
      if (kind === 0)
        w[o * inF + i] = sign(rng) * 0; // ±0: the result is the delta
      else if (kind === 1)
        w[o * inF + i] = delta; // unmerge cancels to +0 (bf16; f16 rounds the tiny delta)
      else if (kind === 2)
        w[o * inF + i] = -delta; // merge cancels to +0
      else
        w[o * inF + i] =
          dtype === 'f16' ? sign(rng) * 2 ** -24 * (1 + pick(rng, 3)) : sign(rng) * scale * (1 + pick(rng, 8) / 8);
    }
  }
  return { weight: halfTensor(dtype, [outF, inF], w), A, B };
}

/** f16 weights and deltas of subnormal size (|x| < 2^-14): rounding must keep subnormals, never flush them. */
function subnormalArgs(seed: number, fanInFanOut: boolean) {
  const rng = rngFor(seed);
  const [outF, inF, r] = [8, 12, 3];
  const shape = fanInFanOut ? [inF, outF] : [outF, inF];
  return {
    weight: halfTensor('f16', shape, normal(rng, shape, 3e-5).data),
    A: normal(rng, [r, inF], 3e-3),
    B: normal(rng, [outF, r], 3e-3),
    fanInFanOut,
  };
}

/** f16 activations of subnormal size through the forward kernels (outputs subnormal too). */
function subnormalForward(seed: number) {
  const rng = rngFor(seed);
  return {
    x: halfTensor('f16', [2, 3, 8], normal(rng, [2, 3, 8], 2e-5).data),
    weight: halfTensor('f16', [6, 8], normal(rng, [6, 8], 0.3).data),
    baseOut: halfTensor('f16', [2, 3, 6], normal(rng, [2, 3, 6], 2e-5).data),
    A: normal(rng, [2, 8], 0.3),
    B: normal(rng, [6, 2], 0.3),
  };
}

/** Every half-precision edge case. */
export function halfPrecisionCases(): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  for (const kernel of ['merge', 'unmerge'] as const) {
    for (const [dtype, seed, fan] of [
      ['bf16', 1100, false],
      ['bf16', 1101, true],
      ['f16', 1102, false],
      ['f16', 1103, true],
    ] as const) {
      cases.push(
        referenceCase(
          kernel,
          `exact-midpoints-s${seed}-${dtype}${fan ? '-fan_in_fan_out' : ''}`,
          `float32 results exactly on ${dtype} rounding midpoints: ties to even`,
          () => midpointArgs(dtype, seed, fan),
          round(kernel, 0),
        ),
      );
    }
    for (const [dtype, seed] of [
      ['bf16', 1110],
      ['f16', 1111],
    ] as const) {
      cases.push(
        referenceCase(
          kernel,
          `zero-signs-s${seed}-${dtype}`,
          `−0 and +0 in ${dtype} results, bit for bit`,
          () => zeroSignArgs(dtype, seed),
          round(kernel, 0),
        ),
      );
    }
    for (const [seed, fan] of [
      [1120, false],
      [1121, true],
    ] as const) {
      cases.push(
        referenceCase(
          kernel,
          `f16-subnormals-s${seed}${fan ? '-fan_in_fan_out' : ''}`,
          'f16 subnormal weights and results (never flushed to zero)',
          () => subnormalArgs(seed, fan),
          round(kernel),
        ),
      );
    }
  }
  cases.push(
    referenceCase(
      'linear',
      'f16-subnormals-s1130',
      'f16 subnormal activations and outputs (never flushed to zero)',
      () => {
        const a = subnormalForward(1130);
        return { x: a.x, weight: a.weight };
      },
    ),
    referenceCase(
      'adapterForward',
      'f16-subnormals-s1130',
      'f16 subnormal activations, base output and result (never flushed to zero)',
      () => {
        const a = subnormalForward(1130);
        return { x: a.x, baseOut: a.baseOut, A: a.A, B: a.B };
      },
    ),
  );
  return cases;
}
