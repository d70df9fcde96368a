/**
 * PEFT's k = 2 top-k reload (see core's `reloadStoredPairsJs`) in WebAssembly: the two logs and one exp per row run in
 * the CPU module (its log/exp give Math.log/Math.exp's bits), three to four times faster than the same loop in
 * JavaScript, which calls out of optimised code for every transcendental.
 * @module
 */
import { CpuInstance } from './cpu-instance.js';
import { cpuKernelsSupported } from './kernels-supported.js';

let inst: CpuInstance | null | undefined;

/** The module-level instance, or null where WebAssembly SIMD or a synchronous compile is unavailable. */
function instance(): CpuInstance | null {
  if (inst === undefined) {
    try {
      inst = cpuKernelsSupported() ? new CpuInstance() : null;
    } catch {
      inst = null; // e.g. a browser main thread refusing to compile the module synchronously
    }
  }
  return inst;
}

/**
 * Reloaded indices and weights (n, 2) from n stored weights and (n, 2) indices; `{ badRow }` for the first
 * stored weight outside [0, 1]; null when the WebAssembly path is unavailable (the caller runs the JS loop).
 */
export function wasmReloadPairs(
  indices: ArrayLike<number | bigint>,
  stored: Float32Array,
): { idx: Int32Array; w: Float32Array } | { badRow: number } | null {
  const k = instance();
  if (k === null) return null;
  const n = stored.length;
  const [sp, ip, oi, ow] = k.layout([n * 4, n * 8, n * 8, n * 8]);
  k.f32(sp!, n).set(stored);
  const idx = k.i32(ip!, 2 * n);
  if (indices instanceof BigInt64Array || indices instanceof BigUint64Array) {
    for (let i = 0; i < 2 * n; i++) idx[i] = Number(indices[i]!);
  } else {
    idx.set(indices as ArrayLike<number>);
  }
  const bad = k.exports.reload_pairs(sp!, n, ip!, oi!, ow!);
  if (bad >= 0) return { badRow: bad };
  return { idx: k.i32(oi!, 2 * n).slice(), w: k.f32(ow!, 2 * n).slice() };
}
