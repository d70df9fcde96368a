import { createRng, f32ToBf16Bits, tensor } from '@vblora/core';
import { createMergePool } from '@vblora/cpu/node';
import type { BenchRow } from '../result.js';
import { fmtTiming, gbps } from '../stats.js';
import { copiesNote, timeAgainstCopies, type CopyProbes } from './copy-bandwidth.js';

/**
 * Merging a rank-4 delta into one (out, in) weight held in the merge pool's shared WebAssembly memory, in place,
 * with the CPU kernels on every core (one fused pass over W; the delta is never materialised). GB/s counts W read + W written.
 */
export async function mergeWorkload(
  out: number,
  inF: number,
  dtype: 'f32' | 'bf16',
  copies: CopyProbes,
  reps: number,
): Promise<BenchRow> {
  const rng = createRng(11);
  const n = out * inF;
  const bytesPer = dtype === 'f32' ? 4 : 2;
  const pool = createMergePool();
  // the weight in the pool's shared WebAssembly memory, merged in place, as mergeCheckpoint does (repeating the
  // merge keeps adding the delta: values drift by ~1e-3 over the repetitions, which does not change the speed)
  const [input] = pool.regions(n * bytesPer, 1) as [Uint8Array];
  const output = input;
  if (dtype === 'f32') {
    const w = new Float32Array(input.buffer, input.byteOffset, n);
    for (let i = 0; i < n; i++) w[i] = rng.normal() * 0.02;
  } else {
    const w = new Uint16Array(input.buffer, input.byteOffset, n);
    for (let i = 0; i < n; i++) w[i] = f32ToBf16Bits(rng.normal() * 0.02);
  }
  const r = 4;
  const A = tensor(
    'f32',
    [r, inF],
    Float32Array.from({ length: r * inF }, () => rng.normal() * 0.01),
  );
  const B = tensor(
    'f32',
    [out, r],
    Float32Array.from({ length: out * r }, () => rng.normal() * 0.01),
  );
  try {
    const job = {
      dtype,
      shape: [out, inF] as [number, number],
      input,
      output,
      A: A.data,
      B: B.data,
      fanInFanOut: false,
      safe: false,
      adapter: 'default',
      module: 'bench',
    };
    // 3 warm-ups: the workers start on baseline wasm code and tier up after the first calls
    const m = await timeAgainstCopies(copies, () => pool.run(job), reps, 3);
    const t = m.timing;
    const g = gbps(2 * n * bytesPer, t.medianMs);
    return {
      workload: 'merge',
      case: `${dtype} weight (${out}, ${inF}), r ${r}, in place`,
      backend: `cpu ×${pool.threads} threads`,
      timing: t,
      value: `${g.toFixed(2)} GB/s (${fmtTiming(t)}); ${copiesNote(g, m)}`,
      ratio: g / m.allGbps,
      ratioOf: 'of all-core copy bandwidth',
      target: dtype === 'f32' ? 0.7 : 0.5,
    };
  } finally {
    await pool.close();
  }
}
