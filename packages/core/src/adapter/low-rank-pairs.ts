/**
 * Float32 storage for an adapter's composed A and B, to compose into again and again (switching adapters of the
 * same shape without allocating, or handing the buffers to worker threads).
 * @module
 */
import type { Backend } from '../backend/define-backend.js';
import type { PairsLayer } from '../backend/capabilities.js';
import { AdapterError, ShapeError } from '../errors.js';
import type { LowRankPair } from '../kernels/index.js';
import { formatShape, tensor } from '../tensor/index.js';
import type { AdapterModule, Factor, VBLoRAAdapter } from './vblora-adapter.js';

/** Options of {@link allocatePairs}. */
export interface AllocatePairsOptions {
  /** Only these module paths (default: all, in file order). */
  readonly modules?: readonly string[];
  /**
   * Back the arrays by shared memory (a SharedArrayBuffer) so that worker threads can read them without copies.
   * Needs an engine with shared memory (Node; browsers only when cross-origin isolated).
   */
  readonly shared?: boolean;
  /**
   * The backend that will compose into the arrays: when it offers pairs storage (the cpu backend of `@vblora/cpu`:
   * a WebAssembly memory with its kernels' scratch after the pairs) they live there and are composed in place;
   * otherwise, and by default, they are plain arrays, which any backend composes into by copying.
   */
  readonly backend?: Backend;
}

function factorLead(f: Factor): readonly number[] {
  return (f.kind === 'logits' ? f.logits.shape : f.indices.shape).slice(0, 2);
}

/** The shapes `composeLowRank` gives a module: A (r, in_t·vl) and B (out_t·vl, r), from its factors. @internal */
export function pairShapes(m: AdapterModule, vl: number): { A: [number, number]; B: [number, number] } {
  const [r, inT] = factorLead(m.a) as [number, number];
  const [outT, rB] = factorLead(m.b) as [number, number];
  return { A: [r, inT * vl], B: [outT * vl, rB] };
}

/** The layers of `mods` as the compose kernel will see them (what a backend's pairs storage sizes its scratch by). */
function layersOf(
  adapter: VBLoRAAdapter,
  mods: readonly AdapterModule[],
  shapes: readonly { A: [number, number]; B: [number, number] }[],
): PairsLayer[] {
  const { num_vectors: nv, vector_length: vl, topk: k } = adapter.config;
  return mods.map((m, i) => {
    const { A, B } = shapes[i]!;
    return {
      rowsA: (A[0] * A[1]) / vl,
      rowsB: (B[0] * B[1]) / vl,
      r: A[0],
      k,
      nv,
      vl,
      denseA: m.a.kind === 'logits',
      denseB: m.b.kind === 'logits',
    };
  });
}

/** A buffer of `bytes` for the pairs: the backend's pairs storage when it has one, else plain memory. */
function pairsBuffer(bytes: number, layers: () => PairsLayer[], options: AllocatePairsOptions): ArrayBufferLike {
  const shared = options.shared === true;
  const storage = options.backend?.capabilities?.pairsStorage;
  const own = storage?.allocate(bytes, layers(), shared);
  if (own !== undefined) {
    if (own.byteLength < bytes)
      throw new ShapeError(
        `allocatePairs: backend "${options.backend!.name}" gave ${own.byteLength} bytes for ${bytes} bytes of pairs`,
        'pairsStorage',
      );
    return own;
  }
  return shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
}

function modulesOf(adapter: VBLoRAAdapter, paths: readonly string[] | undefined): AdapterModule[] {
  return (paths ?? [...adapter.modules.keys()]).map((p) => {
    const m = adapter.modules.get(p);
    if (m === undefined) throw new AdapterError(`adapter "${adapter.name}" has no module ${p}`, p);
    return m;
  });
}

/**
 * Zero-filled float32 A and B for every module of an adapter, in one buffer (A then B per module, in order). With
 * `backend` set to one that offers pairs storage, the buffer is that backend's (the cpu backend's: a WebAssembly
 * memory with room after the pairs for its kernels to compose into them in place).
 *
 * @example
 * ```ts
 * const backend = createCpuBackend(); // from @vblora/cpu
 * const into = allocatePairs(adapter, { backend });
 * await composeAdapter(adapter, { backend, into }); // fills `into`
 * await composeAdapter(otherAdapterOfSameShape, { backend, into }); // reuses the same arrays
 * ```
 */
export function allocatePairs(adapter: VBLoRAAdapter, options: AllocatePairsOptions = {}): Map<string, LowRankPair> {
  const vl = adapter.config.vector_length;
  const mods = modulesOf(adapter, options.modules);
  const shapes = mods.map((m) => pairShapes(m, vl));
  const floats = shapes.reduce((n, s) => n + s.A[0] * s.A[1] + s.B[0] * s.B[1], 0);
  const buffer = pairsBuffer(floats * 4, () => layersOf(adapter, mods, shapes), options);
  const out = new Map<string, LowRankPair>();
  let at = 0;
  mods.forEach((m, i) => {
    const { A, B } = shapes[i]!;
    const a = new Float32Array(buffer, at * 4, A[0] * A[1]);
    at += a.length;
    const b = new Float32Array(buffer, at * 4, B[0] * B[1]);
    at += b.length;
    out.set(m.path, { A: tensor('f32', A, a), B: tensor('f32', B, b) });
  });
  return out;
}

/**
 * The pair of `into` for module `m`, checked against the shapes its compose gives.
 * @throws {AdapterError} when `into` lacks the module.
 * @throws {ShapeError} when a tensor is not float32 of the right shape.
 * @internal
 */
export function intoPair(into: ReadonlyMap<string, LowRankPair>, m: AdapterModule, vl: number): LowRankPair {
  const pair = into.get(m.path);
  if (pair === undefined) throw new AdapterError(`composeAdapter: into has no pair for module ${m.path}`, m.path);
  const want = pairShapes(m, vl);
  for (const key of ['A', 'B'] as const) {
    const t = pair[key];
    const [rows, cols] = want[key];
    if (
      t.dtype !== 'f32' ||
      t.shape.length !== 2 ||
      t.shape[0] !== rows ||
      t.shape[1] !== cols ||
      t.data.length !== rows * cols
    ) {
      throw new ShapeError(
        `composeAdapter: into ${m.path}.${key} must be float32 ${formatShape(want[key])}, got ${t.dtype} ${formatShape(t.shape)}`,
        `${m.path}.${key}`,
      );
    }
  }
  return pair;
}
