/**
 * Whether the CPU kernels can run here. A file of its own so that the public declaration names no WebAssembly
 * type: those come only with the DOM lib or @types/node, and `@vblora/core` must type-check without either.
 * @module
 */
import { cpuWasmBytes } from './wasm-bytes.js';

let supported: boolean | undefined;

/**
 * True when this JavaScript engine runs WebAssembly SIMD (every current browser, Node ≥ 16). Validated once, then
 * remembered: the compose path asks on every call, and validating the module costs about half a millisecond.
 */
export function cpuKernelsSupported(): boolean {
  if (supported === undefined) {
    try {
      supported = typeof WebAssembly === 'object' && WebAssembly.validate(cpuWasmBytes(false));
    } catch {
      supported = false;
    }
  }
  return supported;
}
