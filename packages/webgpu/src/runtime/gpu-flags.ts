/**
 * WebGPU's numeric flag values, spelled out so the library never needs the `GPUBufferUsage` / `GPUMapMode` globals
 * (Dawn in Node does not install them unless asked to patch `globalThis`).
 * @internal
 * @module
 */

/** `GPUBufferUsage` bits (WebGPU spec §5.1). */
export const BufferUsage = {
  MAP_READ: 0x0001,
  MAP_WRITE: 0x0002,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;

/** `GPUMapMode.READ`. */
export const MAP_READ_MODE = 0x0001;

/** Usage of every tensor buffer: bound as storage, filled by writeBuffer, copied out for readback. */
export const TENSOR_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
/** Usage of the per-dispatch parameter blocks. */
export const UNIFORM_USAGE = BufferUsage.UNIFORM | BufferUsage.COPY_DST;
/** Usage of readback staging buffers. */
export const READBACK_USAGE = BufferUsage.MAP_READ | BufferUsage.COPY_DST;
