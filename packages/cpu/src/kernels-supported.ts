/**
 * Whether the CPU kernels can run here. A file of its own so that the public declaration names no WebAssembly
 * type: those come only with the DOM lib or @types/node, and `@vblora/core` must type-check without either.
 * @module
 */
import { cpuWasmBytes } from './wasm-bytes.js';

/** True when this JavaScript engine runs WebAssembly SIMD (every current browser, Node ≥ 16). */
export function cpuKernelsSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(cpuWasmBytes(false));
  } catch {
    return false;
  }
}
