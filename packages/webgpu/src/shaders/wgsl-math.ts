/**
 * WGSL math with accuracy we control instead of the driver: the top-k rank key, exp for softmax, a correctly
 * rounded reciprocal, and float atomic add.
 *
 * - WGSL's builtin `exp` may be off by 3 + 2·|x| ulps and differs between GPUs; `exp_neg` below uses Cody–Waite
 *   range reduction and a degree-7 polynomial, built from +, −, × only (correctly rounded in WGSL), and stays
 *   within 2 ulps of the correctly rounded value on [−87.3, 0] (measured: see test/wgsl-math.test.ts).
 * - WGSL's `/` may be off by 2.5 ulps; `recip_rn` does the integer long division, so 1/Σe is exactly torch's.
 * @internal
 * @module
 */

/** The functions, included by the kernels that need them. */
export const MATH_WGSL = /* wgsl */ `
// Orders float bits like the values, NaN above everything and -0 equal to +0 (top-k tie rule: equal keys rank
// by lowest index). Every real key is > 0, so 0 can mean "nothing".
fn rank_key(b: u32) -> u32 {
  if ((b & 0x7fffffffu) > 0x7f800000u) { return 0xffffffffu; }
  if (b == 0x80000000u) { return 0x80000000u; }
  if ((b & 0x80000000u) != 0u) { return ~b; }
  return b | 0x80000000u;
}

// exp(d) for d <= 0 (the softmax argument v - max). Below -87.3 the result is under the smallest normal float32
// and is returned as 0 (an absolute error under 1.2e-38).
fn exp_neg(d: f32) -> f32 {
  if (!(d > -87.3f)) { return 0.0f; }
  let n = round(d * 1.44269504f);
  // ln 2 split so that n * LN2_HI is exact for |n| <= 128
  let r = (d - n * 0.693145751953125f) - n * 1.42860677e-6f;
  var p = 1.98412698e-4f;
  p = 1.38888889e-3f + r * p;
  p = 8.33333333e-3f + r * p;
  p = 4.16666667e-2f + r * p;
  p = 1.66666667e-1f + r * p;
  p = 0.5f + r * p;
  p = 1.0f + r * p;
  p = 1.0f + r * p;
  return p * bitcast<f32>(u32(i32(n) + 127) << 23u);
}

// Correctly rounded 1/s for a normal positive s (round to nearest even), by integer long division.
fn recip_rn(s: f32) -> f32 {
  let b = bitcast<u32>(s);
  let e = i32(b >> 23u) - 127;
  let m = (b & 0x7fffffu) | 0x800000u;
  if (m == 0x800000u) { return bitcast<f32>(u32(127 - e) << 23u); }
  // 2^24 / m lies in (1, 2): 24 quotient bits, then round on the remainder
  var q = 1u;
  var rem = 0x1000000u - m;
  for (var i = 0u; i < 23u; i++) {
    rem = rem << 1u;
    q = q << 1u;
    if (rem >= m) { rem -= m; q |= 1u; }
  }
  let twice = rem << 1u;
  if (twice > m || (twice == m && (q & 1u) == 1u)) { q += 1u; }
  var ex = 126 - e;
  if (q == 0x1000000u) { q = 0x800000u; ex += 1; }
  return bitcast<f32>((u32(ex) << 23u) | (q & 0x7fffffu));
}
`;

/** Float atomic add by compare-exchange on the bits; `buf` must be `array<atomic<u32>>`. */
export function atomicAddF32(buf: string): string {
  return /* wgsl */ `
fn atomic_add_${buf}(i: u32, v: f32) {
  var old = atomicLoad(&${buf}[i]);
  loop {
    let r = atomicCompareExchangeWeak(&${buf}[i], old, bitcast<u32>(bitcast<f32>(old) + v));
    if (r.exchanged) { break; }
    old = r.old_value;
  }
}`;
}
