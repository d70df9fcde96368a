/**
 * Host byte-order guard: safetensors data is little-endian and tensors are typed-array views over it.
 * @module
 */
import { UnsupportedError } from '../errors.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Throws an {@link UnsupportedError} on a big-endian host, where typed-array views would read bytes reversed. */
export function assertLittleEndianHost(what: string): void {
  if (!LITTLE_ENDIAN) {
    throw new UnsupportedError(`${what}: big-endian hosts are not supported (safetensors data is little-endian)`);
  }
}
