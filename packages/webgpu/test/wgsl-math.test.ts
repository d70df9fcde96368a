import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits, tensor } from '@vblora/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuRuntime } from '../src/index.js';
import { HALF_WGSL } from '../src/shaders/wgsl-half.js';
import { MATH_WGSL } from '../src/shaders/wgsl-math.js';
import { openRuntime } from './helpers/gpu.js';

let rt: WebGpuRuntime | undefined;
beforeAll(async () => {
  rt = await openRuntime();
});
afterAll(() => rt?.dispose());

/** Runs `out[i] = <expr of x = inp[i] (u32 bits)>` over a u32 array on the GPU. */
async function mapBits(runtime: WebGpuRuntime, name: string, expr: string, input: Uint32Array): Promise<Uint32Array> {
  const code = `${HALF_WGSL}\n${MATH_WGSL}
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> inp: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (i >= p.n) { return; }
  let x = inp[i];
  out[i] = ${expr};
}`;
  const pipeline = await runtime.pipeline(`test-${name}`, () => code);
  const src = runtime.upload(tensor('i32', [input.length], new Int32Array(input.buffer.slice(0))));
  const dst = runtime.empty('i32', [input.length]);
  const enc = runtime.encoder();
  enc.dispatch(
    pipeline,
    Uint32Array.of(input.length),
    [src.chunks[0]!.buffer, dst.chunks[0]!.buffer],
    Math.ceil(input.length / 64),
  );
  enc.submit();
  const got = new Uint32Array((await dst.read()).data.buffer);
  src.dispose();
  dst.dispose();
  return got;
}

const f32Box = new Float32Array(1);
const u32Box = new Uint32Array(f32Box.buffer);
function bitsOf(x: number): number {
  f32Box[0] = x;
  return u32Box[0]!;
}
function ulpDiff(a: number, b: number): number {
  const ia = a >= 2 ** 31 ? -(a - 2 ** 31) : a;
  const ib = b >= 2 ** 31 ? -(b - 2 ** 31) : b;
  return Math.abs(ia - ib);
}

describe('WGSL half conversions (bit-exact with @vblora/core half.ts)', () => {
  it('widens all 65,536 bf16 and f16 patterns exactly', async (ctx) => {
    if (rt === undefined) return ctx.skip('no WebGPU adapter');
    const all = Uint32Array.from({ length: 65536 }, (_, i) => i);
    for (const [fn, ref] of [
      ['bf16_to_f32', bf16BitsToF32],
      ['f16_to_f32', f16BitsToF32],
    ] as const) {
      const got = await mapBits(rt, fn, `bitcast<u32>(${fn}(x))`, all);
      let bad = 0;
      for (let h = 0; h < 65536; h++) {
        const want = ref(h);
        const g = got[h]!;
        if (Number.isNaN(want) ? (g & 0x7fffffff) <= 0x7f800000 : g !== bitsOf(want)) bad++;
      }
      expect(bad, fn).toBe(0);
    }
  });

  it('narrows float32 to bf16 and f16 like f32ToBf16Bits / f32ToF16Bits on ~400k probes', async (ctx) => {
    if (rt === undefined) return ctx.skip('no WebGPU adapter');
    // every 16-bit pattern shifted into the high bits, plus each with the rounding bits just below/at/above half
    const probes: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const b = (h << 16) >>> 0;
      probes.push(b, b | 0x7fff, b | 0x8000, b | 0x8001, b | 0xffff);
    }
    // f16's rounding point sits 13 bits down: probe halfway cases around every f16 exponent
    for (let e = 90; e < 150; e++) {
      for (const m of [0x0fff, 0x1000, 0x1001, 0x2fff, 0x3000, 0x3001, 0x7fffff, 0x400000]) {
        probes.push(((e << 23) | m) >>> 0, (0x80000000 | (e << 23) | m) >>> 0);
      }
    }
    const input = Uint32Array.from(probes);
    const asF32 = new Float32Array(input.buffer);
    for (const [fn, ref] of [
      ['f32_to_bf16', f32ToBf16Bits],
      ['f32_to_f16', f32ToF16Bits],
    ] as const) {
      const got = await mapBits(rt, fn, `${fn}(x)`, input);
      let bad = 0;
      for (let i = 0; i < input.length; i++) if (got[i] !== ref(asF32[i]!)) bad++;
      expect(bad, fn).toBe(0);
    }
  });
});

describe('WGSL math', () => {
  it('exp_neg is within 2 ulps of the correctly rounded exp on [-87.3, 0]', async (ctx) => {
    if (rt === undefined) return ctx.skip('no WebGPU adapter');
    const n = 200_000;
    const xs = new Float32Array(n);
    for (let i = 0; i < n; i++) xs[i] = -87.3 * (i / n) ** 2;
    const got = await mapBits(rt, 'exp', 'bitcast<u32>(exp_neg(bitcast<f32>(x)))', new Uint32Array(xs.buffer));
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, ulpDiff(got[i]!, bitsOf(Math.exp(xs[i]!))));
    expect(worst).toBeLessThanOrEqual(2); // measured on SwiftShader: 1
  });

  it('recip_rn is the correctly rounded reciprocal on [1, 2^24]', async (ctx) => {
    if (rt === undefined) return ctx.skip('no WebGPU adapter');
    const n = 100_000;
    const xs = new Float32Array(n);
    for (let i = 0; i < n; i++) xs[i] = i < 64 ? 2 ** (i % 25) : 2 ** ((24 * i) / n) * (1 + ((i * 7919) % 1000) / 1e7);
    const got = await mapBits(rt, 'recip', 'bitcast<u32>(recip_rn(bitcast<f32>(x)))', new Uint32Array(xs.buffer));
    let bad = 0;
    for (let i = 0; i < n; i++) if (got[i] !== bitsOf(1 / xs[i]!)) bad++;
    expect(bad).toBe(0);
  });
});
