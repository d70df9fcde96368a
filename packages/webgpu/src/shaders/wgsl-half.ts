/**
 * WGSL helpers shared by every kernel: bit-exact bfloat16/float16 ↔ float32 conversions and per-dtype loaders.
 *
 * WGSL has no bf16 type and needs the optional `shader-f16` feature for f16 storage, so half tensors travel as
 * packed u32 words (element 2w in the low 16 bits, 2w+1 in the high bits: the little-endian byte layout of the
 * host `Uint16Array`). Every storage buffer is declared `array<u32>` and floats are `bitcast`, so NaN payloads and
 * infinities survive loads and stores untouched. The narrowing functions mirror `f32ToBf16Bits` and
 * `f32ToF16Bits` of `@vblora/core` line for line (round to nearest, ties to even, quiet NaN).
 * @internal
 * @module
 */

/** Element dtypes a GPU tensor may hold (indices are i32). */
export type GpuDType = 'f32' | 'bf16' | 'f16' | 'i32';
/** Float dtypes of weights and activations. */
export type GpuFloat = 'f32' | 'bf16' | 'f16';

/** The conversion functions, included once per shader module. */
export const HALF_WGSL = /* wgsl */ `
fn half_at(w: u32, i: u32) -> u32 { return (w >> ((i & 1u) * 16u)) & 0xffffu; }
fn bf16_to_f32(h: u32) -> f32 { return bitcast<f32>(h << 16u); }
fn f16_to_f32(h: u32) -> f32 {
  let s = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 31u) { return bitcast<f32>(s | 0x7f800000u | (m << 13u)); }
  if (e != 0u) { return bitcast<f32>(s | ((e + 112u) << 23u) | (m << 13u)); }
  if (m == 0u) { return bitcast<f32>(s); }
  // subnormal half m·2^-24 is a normal float32: built from integer bits, so no float op can flush it to zero
  let p = firstLeadingBit(m);
  return bitcast<f32>(s | ((p + 103u) << 23u) | ((m << (23u - p)) & 0x7fffffu));
}
fn f32_to_bf16(b: u32) -> u32 {
  if ((b & 0x7fffffffu) > 0x7f800000u) { return ((b >> 16u) | 0x40u) & 0xffffu; }
  return ((b + 0x7fffu + ((b >> 16u) & 1u)) >> 16u) & 0xffffu;
}
fn f32_to_f16(b: u32) -> u32 {
  let sign = (b >> 16u) & 0x8000u;
  let ex = (b >> 23u) & 0xffu;
  let mant = b & 0x7fffffu;
  if (ex == 0xffu) { return sign | 0x7c00u | select(0u, 0x200u | (mant >> 13u), mant != 0u); }
  let e = i32(ex) - 112;
  if (e >= 31) { return sign | 0x7c00u; }
  if (e <= 0) {
    if (e < -10) { return sign; }
    let full = mant | 0x800000u;
    let shift = u32(14 - e);
    var h = full >> shift;
    let rem = full & ((1u << shift) - 1u);
    let halfway = 1u << (shift - 1u);
    if (rem > halfway || (rem == halfway && (h & 1u) == 1u)) { h += 1u; }
    return sign | h;
  }
  var h = (u32(e) << 10u) | (mant >> 13u);
  let rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u) == 1u)) { h += 1u; }
  return sign | h;
}
fn enc_f32(v: f32) -> u32 { return bitcast<u32>(v); }
fn enc_bf16(v: f32) -> u32 { return f32_to_bf16(bitcast<u32>(v)); }
fn enc_f16(v: f32) -> u32 { return f32_to_f16(bitcast<u32>(v)); }
fn dec_bf16(h: u32) -> f32 { return bf16_to_f32(h); }
fn dec_f16(h: u32) -> f32 { return f16_to_f32(h); }
fn nonfinite_f32(b: u32) -> bool { return (b & 0x7f800000u) == 0x7f800000u; }
fn nonfinite_bf16(h: u32) -> bool { return (h & 0x7f80u) == 0x7f80u; }
fn nonfinite_f16(h: u32) -> bool { return (h & 0x7c00u) == 0x7c00u; }
`;

/** True for the packed 16-bit dtypes. */
export function isHalf(dtype: GpuDType): dtype is 'bf16' | 'f16' {
  return dtype === 'bf16' || dtype === 'f16';
}

/**
 * Declares a float tensor binding as `array<u32>` plus its element loader `fn <name>_at(i: u32) -> f32` (i counts
 * elements, whatever the dtype).
 */
export function floatBinding(name: string, binding: number, dtype: GpuFloat, access: 'read' | 'read_write'): string {
  const decl = `@group(0) @binding(${binding}) var<storage, ${access}> ${name}: array<u32>;`;
  const body =
    dtype === 'f32'
      ? `bitcast<f32>(${name}[i])`
      : `${dtype === 'bf16' ? 'bf16_to_f32' : 'f16_to_f32'}(half_at(${name}[i >> 1u], i))`;
  return `${decl}\nfn ${name}_at(i: u32) -> f32 { return ${body}; }`;
}

/** Declares a u32/i32 binding (indices, flags) as `array<u32>`. */
export function wordBinding(name: string, binding: number, access: 'read' | 'read_write'): string {
  return `@group(0) @binding(${binding}) var<storage, ${access}> ${name}: array<u32>;`;
}

/** WGSL expression rounding f32 value `v` to `dtype` and returning its bits (16 low bits for halves). */
export function encodeExpr(dtype: GpuFloat, v: string): string {
  return `enc_${dtype}(${v})`;
}

/** WGSL expression turning the bits made by {@link encodeExpr} back into an f32 value. */
export function decodeExpr(dtype: GpuFloat, bits: string): string {
  return dtype === 'f32' ? `bitcast<f32>(${bits})` : `dec_${dtype}(${bits})`;
}

/** WGSL expression: true when `bits` (of `dtype`) encode NaN or ±Inf. */
export function nonFiniteExpr(dtype: GpuFloat, bits: string): string {
  return `nonfinite_${dtype}(${bits})`;
}

/**
 * A linear workgroup index from a 2-D dispatch grid: dispatches over 65,535 workgroups are folded into y (see
 * `Encoder.dispatch`), and every kernel unfolds them with this expression.
 */
export const LINEAR_WORKGROUP = 'wid.x + wid.y * nwg.x';

/**
 * Declares a packed half output as `array<atomic<u32>>` with `fn <name>_at(i) -> f32` and
 * `fn store_<name>(i: u32, bits: u32)`, which replaces one 16-bit half with two atomics. Used when a thread's
 * elements do not cover whole words (odd row lengths, segments starting mid-word): the two halves of a word may
 * then belong to different threads or dispatches, and atomic and/or keeps both.
 */
export function atomicHalfBinding(name: string, binding: number, dtype: 'bf16' | 'f16'): string {
  const dec = dtype === 'bf16' ? 'bf16_to_f32' : 'f16_to_f32';
  return `@group(0) @binding(${binding}) var<storage, read_write> ${name}: array<atomic<u32>>;
fn ${name}_at(i: u32) -> f32 { return ${dec}(half_at(atomicLoad(&${name}[i >> 1u]), i)); }
fn store_${name}(i: u32, bits: u32) {
  let sh = (i & 1u) * 16u;
  atomicAnd(&${name}[i >> 1u], ~(0xffffu << sh));
  atomicOr(&${name}[i >> 1u], bits << sh);
}`;
}
