/**
 * One instance of the CPU kernels (the module built from wat/*.wat): the compiled WebAssembly module, its memory, and a bump layout
 * of the regions a call needs. WebAssembly is used because plain JS loops reach a few percent of memory bandwidth
 * on these memory-bound kernels, and no maintained library offers bit-exact binary32 merge/admixture loops.
 * @module
 */
import { ResourceLimitError } from '@vblora/core';
import { cpuWasmBytes } from './wasm-bytes.js';

/** The functions the module exports (byte pointers into the instance memory). */
export interface CpuExports {
  merge_f32(
    src: number,
    dst: number,
    vec: number,
    coef: number,
    rows: number,
    cols: number,
    r: number,
    unmerge: number,
  ): number;
  merge_bf16(
    src: number,
    dst: number,
    vec: number,
    coef: number,
    rows: number,
    cols: number,
    r: number,
    unmerge: number,
  ): number;
  mix(out: number, bank: number, idx: number, w: number, rows: number, k: number, vl: number): void;
  mix_t(
    out: number,
    bank: number,
    idx: number,
    w: number,
    tiles: number,
    r: number,
    k: number,
    vl: number,
    tmp: number,
  ): void;
  select_topk(logits: number, rows: number, nv: number, k: number, out: number): void;
  linear_rows(x: number, wt: number, bias: number, y: number, rows: number, inF: number, outF: number): void;
  transpose(src: number, dst: number, rows: number, cols: number, ld: number): void;
  reload_pairs(stored: number, n: number, idx: number, outIdx: number, outW: number): number;
  compose_all(
    table: number,
    n: number,
    bank: number,
    k: number,
    vl: number,
    nv: number,
    riA: number,
    rwA: number,
    riB: number,
    rwB: number,
    tmp: number,
  ): number;
  math_log(x: number): number;
  math_exp(x: number): number;
  forward_rows(
    x: number,
    base: number,
    y: number,
    tab: number,
    ad: number,
    order: number,
    rows: number,
    inF: number,
    outF: number,
    h: number,
    hStride: number,
  ): void;
}

const PAGE = 65536;
/** wasm32 memories end at 4 GiB; the shared memory declares this maximum (it reserves address space only). */
export const MAX_PAGES = 65536;

const modules: { private?: WebAssembly.Module; shared?: WebAssembly.Module } = {};

/** The compiled module (cached); `shared` selects the variant importing a shared memory. */
export function cpuModule(shared = false): WebAssembly.Module {
  const key = shared ? 'shared' : 'private';
  modules[key] ??= new WebAssembly.Module(cpuWasmBytes(shared));
  return modules[key];
}

/** Compiles the private module off the main thread's critical path (browsers limit synchronous compiles). */
export async function compileCpuModule(): Promise<void> {
  modules.private ??= await WebAssembly.compile(cpuWasmBytes(false));
}

/** Rounds a byte count up to a multiple of 16 (v128 alignment). */
export function align16(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

/** A kernel instance with its own memory (or a given shared one). */
export class CpuInstance {
  readonly memory: WebAssembly.Memory;
  readonly exports: CpuExports;

  constructor(memory?: WebAssembly.Memory, module?: WebAssembly.Module) {
    this.memory = memory ?? new WebAssembly.Memory({ initial: 1 });
    const mod = module ?? cpuModule(memory !== undefined && isShared(memory));
    this.exports = new WebAssembly.Instance(mod, { env: { memory: this.memory } }).exports as unknown as CpuExports;
  }

  /**
   * Grows the memory to at least `bytes`.
   * @throws {ResourceLimitError} past the 4 GiB of a wasm32 memory, or when the engine refuses to grow it.
   */
  ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    const pages = Math.ceil((bytes - have) / PAGE);
    const need = `the CPU backend needs ${(bytes / 2 ** 20).toFixed(1)} MiB of WebAssembly memory for this call`;
    if (have / PAGE + pages > MAX_PAGES) {
      throw new ResourceLimitError(
        `${need}; a wasm32 memory ends at 4 GiB (use another backend for tensors this large)`,
        'wasm-memory',
      );
    }
    try {
      this.memory.grow(pages);
    } catch (e) {
      throw new ResourceLimitError(
        `${need}; the JavaScript engine refused to grow it (${(e as Error).message})`,
        'wasm-memory',
        { cause: e },
      );
    }
  }

  /**
   * The bank held at offset 0 by the compose kernels, or undefined once any other layout may have overwritten it
   * (kernels of one backend can interleave when callers await between them).
   */
  bank: object | undefined;

  /**
   * First byte the kernels lay out their regions from: 0 for a memory of its own; in a memory that also holds
   * results (pairs from `allocatePairs`), the start of this instance's scratch; past cached factors otherwise.
   */
  base = 0;

  /** End of this instance's scratch in a memory that also holds pairs (layouts past it throw). */
  limit = Infinity;

  /**
   * Lays out regions of the given byte sizes from {@link CpuInstance.base} (each 16-byte aligned), grows the memory to hold
   * them, and returns their pointers. Unless `keepBank` (the compose kernels, whose first region is the bank),
   * the memory no longer holds a bank.
   */
  layout(sizes: readonly number[], keepBank = false): number[] {
    if (!keepBank) this.bank = undefined;
    const ptrs: number[] = [];
    let at = this.base;
    for (const s of sizes) {
      ptrs.push(at);
      at += align16(s);
    }
    if (at > this.limit) {
      throw new ResourceLimitError(
        `the CPU kernels need ${at - this.base} bytes of scratch here, ${this.limit - this.base} were reserved`,
        'wasm-scratch',
      );
    }
    this.ensure(at);
    return ptrs;
  }

  /** Float32 view of `n` floats at byte pointer `ptr` (valid until the memory next grows). */
  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n);
  }

  /** Int32 view of `n` integers at `ptr`. */
  i32(ptr: number, n: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, n);
  }

  /** Byte view of `n` bytes at `ptr`. */
  u8(ptr: number, n: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, n);
  }
}

function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}
