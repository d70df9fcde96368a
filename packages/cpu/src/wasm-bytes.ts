/**
 * The CPU kernels' WebAssembly module as bytes, decoded from the generated base64.
 * @module
 */
import { CPU_WASM_PRIVATE, CPU_WASM_SHARED } from './cpu-wasm.generated.js';

/** The module's bytes; `shared` selects the variant importing a shared memory (the merge worker threads). @internal */
export function cpuWasmBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const bin = atob(shared ? CPU_WASM_SHARED : CPU_WASM_PRIVATE);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
