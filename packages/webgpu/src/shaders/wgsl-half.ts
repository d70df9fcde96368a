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
// dtype codes passed in parameter blocks: 0 = f32, 1 = bf16, 2 = f16
fn enc_dt(v: f32, dt: u32) -> u32 {
  let b = bitcast<u32>(v);
  if (dt == 0u) { return b; }
  if (dt == 1u) { return f32_to_bf16(b); }
  return f32_to_f16(b);
}
fn dec_dt(bits: u32, dt: u32) -> f32 {
  if (dt == 0u) { return bitcast<f32>(bits); }
  if (dt == 1u) { return bf16_to_f32(bits); }
  return f16_to_f32(bits);
}
fn round_dt(v: f32, dt: u32) -> f32 { return dec_dt(enc_dt(v, dt), dt); }
fn nonfinite_dt(bits: u32, dt: u32) -> bool {
  if (dt == 0u) { return (bits & 0x7f800000u) == 0x7f800000u; }
  if (dt == 1u) { return (bits & 0x7f80u) == 0x7f80u; }
  return (bits & 0x7c00u) == 0x7c00u;
}
`;

/** The dtype code a kernel's parameter block carries (see `enc_dt` / `dec_dt`). */
export function dtypeCode(dtype: GpuFloat): number {
  return dtype === 'f32' ? 0 : dtype === 'bf16' ? 1 : 2;
}

/**
 * Declares a float tensor binding as `array<u32>` plus its element loader `fn <name>_at(i: u32) -> f32`, where i
 * counts elements and the dtype is the runtime code `dt` (a uniform, so the branch costs little and one compiled
 * pipeline serves every dtype — compiling is slow on software drivers).
 */
export function floatBinding(name: string, binding: number, access: 'read' | 'read_write', dt: string): string {
  return `@group(0) @binding(${binding}) var<storage, ${access}> ${name}: array<u32>;
fn ${name}_at(i: u32) -> f32 {
  if (${dt} == 0u) { return bitcast<f32>(${name}[i]); }
  return dec_dt(half_at(${name}[i >> 1u], i), ${dt});
}`;
}

/** Declares a u32/i32 binding (indices, flags, f32 bits) as `array<u32>`. */
export function wordBinding(name: string, binding: number, access: 'read' | 'read_write'): string {
  return `@group(0) @binding(${binding}) var<storage, ${access}> ${name}: array<u32>;`;
}

/**
 * Declares an output of runtime dtype `dt` as `array<atomic<u32>>` with `fn <name>_at(i) -> f32` (reads, for in-place
 * updates), `fn store_<name>(i, bits)` (one element: a half replaces its 16 bits with atomic and/or, so two threads
 * or dispatches may share a word) and `fn store2_<name>(i, lo, hi)` (elements i, i+1 of one word, i even).
 */
export function atomicOutBinding(name: string, binding: number, dt: string): string {
  return `@group(0) @binding(${binding}) var<storage, read_write> ${name}: array<atomic<u32>>;
fn ${name}_at(i: u32) -> f32 {
  if (${dt} == 0u) { return bitcast<f32>(atomicLoad(&${name}[i])); }
  return dec_dt(half_at(atomicLoad(&${name}[i >> 1u]), i), ${dt});
}
fn store_${name}(i: u32, bits: u32) {
  if (${dt} == 0u) { atomicStore(&${name}[i], bits); return; }
  let sh = (i & 1u) * 16u;
  atomicAnd(&${name}[i >> 1u], ~(0xffffu << sh));
  atomicOr(&${name}[i >> 1u], bits << sh);
}
fn store2_${name}(i: u32, lo: u32, hi: u32) { atomicStore(&${name}[i >> 1u], lo | (hi << 16u)); }`;
}

/**
 * A linear workgroup index from a 2-D dispatch grid: dispatches over 65,535 workgroups are folded into y (see
 * `Encoder.dispatch`), and every kernel unfolds them with this expression.
 */
export const LINEAR_WORKGROUP = 'wid.x + wid.y * nwg.x';
