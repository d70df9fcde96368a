import { it } from 'vitest';
import { compareTensors, fromF32, linear, roundToBf16, tensor, toF32, type HostTensor } from '@vblora/core';
import { goldenTensors, need } from '../helpers/golden.js';

const R = roundToBf16;
function bmm(a: Float32Array, b: Float32Array, B: number, M: number, K: number, N: number, transB: boolean, mode: string): Float32Array {
  const out = new Float32Array(B * M * N);
  for (let bb = 0; bb < B; bb++) for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let acc = 0;
    for (let k = 0; k < K; k++) {
      const av = a[bb * M * K + i * K + k]!;
      const bv = transB ? b[bb * N * K + j * K + k]! : b[bb * K * N + k * N + j]!;
      if (mode === 'f32') acc = Math.fround(acc + Math.fround(av * bv));
      else if (mode === 'f64') acc += av * bv;
      else if (mode === 'bf16') acc = R(acc + av * bv);
      else if (mode === 'bf16p') acc = R(acc + R(av * bv));
    }
    out[bb * M * N + i * N + j] = R(acc);
  }
  return out;
}
function softmax(s: Float32Array, rows: number, n: number, mode: string): Float32Array {
  const out = new Float32Array(s.length);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity; for (let j = 0; j < n; j++) m = Math.max(m, s[r * n + j]!);
    if (mode === 'once') {
      let sum = 0; const e = []; for (let j = 0; j < n; j++) { e.push(Math.fround(Math.exp(Math.fround(s[r*n+j]! - m)))); sum = Math.fround(sum + e[j]!); }
      const inv = Math.fround(1 / sum); for (let j = 0; j < n; j++) out[r*n+j] = R(Math.fround(e[j]! * inv));
    } else {
      let sum = 0; const e = []; for (let j = 0; j < n; j++) { e.push(R(Math.exp(R(s[r*n+j]! - m)))); sum = j === 0 ? e[0]! : R(sum + e[j]!); }
      const inv = R(1 / sum); for (let j = 0; j < n; j++) out[r*n+j] = R(e[j]! * inv);
    }
  }
  return out;
}
it('host bf16 llama', () => {
  const c = 'llama_bf16_vl16_nv256_top2_layer1_bias';
  const sd = goldenTensors(c, 'base.safetensors');
  const exp = goldenTensors(c, 'expected.safetensors');
  const lin = (x: HostTensor<'bf16'>, p: string) => { const y = linear({ x, weight: need(sd, p + '.weight') as HostTensor<'bf16'> }); if (!sd.has(p + '.bias') || process.env['LIN'] !== 'double') return linear({ x, weight: need(sd, p + '.weight') as HostTensor<'bf16'>, ...(sd.has(p + '.bias') ? { bias: need(sd, p + '.bias') as HostTensor<'bf16'> } : {}) }); const b = toF32(need(sd, p + '.bias')).data; const n = b.length; return fromF32(tensor('f32', y.shape, toF32(y).data.map((t, j) => t + b[j % n]!)), 'bf16'); };
  for (const mm of ['f32', 'f64', 'bf16', 'bf16p']) for (const sm of ['once', 'ops']) {
    let x = need(exp, 'input.x') as HostTensor<'bf16'>;
    for (let i = 0; i < 2; i++) {
      const p = `model.layers.${i}.`;
      const q = toF32(lin(x, p + 'self_attn.q_proj')).data, k = toF32(lin(x, p + 'self_attn.k_proj')).data, v = toF32(lin(x, p + 'self_attn.v_proj')).data;
      const s = bmm(q, k, 2, 5, 64, 5, true, mm).map((t) => R(t / 8));
      const pr = softmax(Float32Array.from(s), 10, 5, sm);
      const a = fromF32(tensor('f32', [2, 5, 64], bmm(pr, v, 2, 5, 5, 64, false, mm)), 'bf16');
      const o = toF32(lin(a, p + 'self_attn.o_proj')).data;
      const xf = toF32(x).data;
      x = fromF32(tensor('f32', [2, 5, 64], xf.map((t, j) => t + o[j]!)), 'bf16');
      const u = fromF32(tensor('f32', [2, 5, 128], toF32(lin(x, p + 'mlp.up_proj')).data.map((t) => Math.max(t, 0))), 'bf16');
      const d = toF32(lin(u, p + 'mlp.down_proj')).data;
      const xf2 = toF32(x).data;
      x = fromF32(tensor('f32', [2, 5, 64], xf2.map((t, j) => t + d[j]!)), 'bf16');
    }
    const y = lin(x, 'head');
    const rep = compareTensors(y, need(exp, 'output.base'), { atol: 0, rtol: 0 });
    console.log(mm, sm, rep.maxAbs, rep.maxUlps, rep.mismatches);
  }
});
