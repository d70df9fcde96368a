/**
 * Converting a VB-LoRA adapter into a PEFT LoRA checkpoint, with the semantics of PEFT's `convert_to_lora`.
 * @module
 */
import { checkMemoryBudget, DEFAULT_MAX_MEMORY_BYTES } from '../accounting/memory-budget.js';
import { composeAdapter } from '../adapter/compose-adapter.js';
import type { AdapterModule, VBLoRAAdapter } from '../adapter/vblora-adapter.js';
import type { Backend } from '../backend/index.js';
import type { JsonObject } from '../config/index.js';
import { ConfigError, NumericalError, UnsupportedError } from '../errors.js';
import { safeTopkWeights } from '../kernels/index.js';
import { tensor, toF32, type HostTensor } from '../tensor/index.js';
import { energyRank } from './energy-rank.js';
import { loraConfigFor } from './lora-config.js';
import { lowRankSvd } from './low-rank-svd.js';
import {
  biasUnsupportedMessage,
  RANK_ZERO_MESSAGE,
  rankTooLargeMessage,
  thresholdRangeMessage,
} from './peft-lora-messages.js';

/** Options of {@link toLoraAdapter}: at most one of `rank` and `energy` (default: `rank` = the adapter's r). */
export interface ToLoraOptions {
  /**
   * One LoRA rank for every module, 1 … min(in, out). At the adapter's r the factors are VB-LoRA's own A and B
   * (exact); below it, the best rank-`rank` approximation of B·A (truncated SVD); above it, A and B padded with
   * zeros (B·A has rank ≤ r, so extra singular values are 0).
   */
  readonly rank?: number;
  /**
   * PEFT's float rank: per module, the smallest rank whose singular values hold at least this fraction (0 < F ≤ 1)
   * of Σσ². Modules then have their own ranks (`rank_pattern`).
   */
  readonly energy?: number;
  /** Backend whose `composeLowRank` kernel composes A and B (default: the reference backend). */
  readonly backend?: Backend;
  /** Refuse (ResourceLimitError) when the conversion would hold more than this many bytes (default 4 GiB). */
  readonly maxMemoryBytes?: number;
  /** Called after each module with the number done and the total. */
  readonly onProgress?: (done: number, total: number, module: string) => void;
}

/** A PEFT LoRA checkpoint in memory: what `save_as_lora` writes. */
export interface LoraCheckpoint {
  /** `adapter_config.json` content (PEFT's `LoraConfig` fields); write it with `serializeLoraConfig`. */
  readonly config: JsonObject;
  /**
   * `adapter_model.safetensors` content: float32 `base_model.model.<module>.lora_A.weight` `(rank, in)` and
   * `.lora_B.weight` `(out, rank)` for every module (Linear orientation also for Conv1D, as PEFT), plus the
   * `modules_to_save` copies under their VB-LoRA keys.
   */
  readonly tensors: ReadonlyMap<string, HostTensor>;
  /** The LoRA rank of every module, in module order. */
  readonly ranks: ReadonlyMap<string, number>;
  /** The r singular values of B·A (float64, descending) of every module whose conversion needed the SVD. */
  readonly singularValues: ReadonlyMap<string, Float64Array>;
  /**
   * Top-k rows PEFT would reload as NaN (its SVD then fails and it converts nothing), converted here with the
   * dropped weight clamped at 0 as `composeAdapter` does; one line per row.
   */
  readonly repairs: readonly string[];
}

/** A rank request with its threshold. */
type CheckedRequest =
  { readonly kind: 'rank'; readonly rank: number } | { readonly kind: 'energy'; readonly energy: number };

/** The checked rank request; PEFT's checks and messages. */
function rankRequest(adapter: VBLoRAAdapter, options: ToLoraOptions): CheckedRequest {
  const { rank, energy } = options;
  if (rank !== undefined && energy !== undefined) {
    throw new ConfigError('toLoraAdapter: give rank or energy, not both', 'rank');
  }
  if (energy !== undefined) {
    if (!(energy > 0 && energy <= 1)) throw new ConfigError(thresholdRangeMessage(energy), 'energy');
    return { kind: 'energy', energy };
  }
  const r = rank ?? adapter.config.r;
  if (r === 0) throw new ConfigError(RANK_ZERO_MESSAGE, 'rank');
  if (!Number.isSafeInteger(r) || r < 0) {
    throw new ConfigError(`toLoraAdapter: rank must be a positive integer, got ${String(r)}`, 'rank');
  }
  return { kind: 'rank', rank: r };
}

/** Bytes held at the peak: every module's output factors, plus one module's composed pair and float64 work. */
export function toLoraMemoryBytes(adapter: VBLoRAAdapter, options: Pick<ToLoraOptions, 'rank'> = {}): number {
  const r = adapter.config.r;
  const outRank = Math.max(r, options.rank ?? r);
  let outputs = 0;
  let work = 0;
  for (const m of adapter.modules.values()) {
    const dims = m.inFeatures + m.outFeatures;
    outputs += 4 * outRank * dims;
    // composed f32 pair, float64 copies, Q factors and the products (about 4 float64 copies)
    work = Math.max(work, 4 * r * dims + 4 * 8 * r * dims);
  }
  return outputs + work;
}

/**
 * Converts a VB-LoRA adapter into a PEFT LoRA checkpoint, as PEFT's `convert_to_lora` / `save_as_lora` do
 * (commit 5d602fd), without ever forming a dense `out × in` delta: B·A's SVD comes from QR of the two thin factors.
 *
 * @throws {ConfigError} for a bias other than `none`, an invalid rank or energy, a rank above min(in, out) (PEFT's
 * messages).
 * @throws {NumericalError} when a module's composed A or B is not finite (PEFT's SVD fails on it).
 * @throws {UnsupportedError} for a rank below r (or an energy) on a module whose r exceeds min(in, out).
 * @throws {ResourceLimitError} when the conversion needs more than `maxMemoryBytes`.
 * @example
 * ```ts
 * const lora = await toLoraAdapter(adapter, { energy: 0.9 });
 * const { config, weights } = loraToFiles(lora);
 * ```
 */
export async function toLoraAdapter(adapter: VBLoRAAdapter, options: ToLoraOptions = {}): Promise<LoraCheckpoint> {
  const request = rankRequest(adapter, options);
  if (adapter.config.bias !== 'none') throw new ConfigError(biasUnsupportedMessage(adapter.config.bias), 'bias');
  const mods = [...adapter.modules.values()];
  if (request.kind === 'rank') {
    for (const m of mods) {
      const minDim = Math.min(m.inFeatures, m.outFeatures);
      if (request.rank > minDim) {
        throw new ConfigError(`${rankTooLargeMessage(request.rank, minDim)} (module ${m.path})`, 'rank');
      }
    }
  }
  checkMemoryBudget(
    toLoraMemoryBytes(adapter, request.kind === 'rank' ? { rank: request.rank } : {}),
    `toLoraAdapter: the LoRA factors of ${mods.length} modules`,
    options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES,
  );
  const tensors = new Map<string, HostTensor>();
  const ranks = new Map<string, number>();
  const singularValues = new Map<string, Float64Array>();
  for (const m of mods) {
    const pairs = await composeAdapter(adapter, {
      modules: [m.path],
      ...(options.backend === undefined ? {} : { backend: options.backend }),
    });
    const { A, B } = pairs.get(m.path)!;
    requireFinite(m, A.data, 'A');
    requireFinite(m, B.data, 'B');
    const factors = convertModule(m, A.data, B.data, A.shape[0]!, request, singularValues);
    ranks.set(m.path, factors.rank);
    tensors.set(`base_model.model.${m.path}.lora_A.weight`, tensor('f32', [factors.rank, m.inFeatures], factors.A));
    tensors.set(`base_model.model.${m.path}.lora_B.weight`, tensor('f32', [m.outFeatures, factors.rank], factors.B));
    options.onProgress?.(ranks.size, mods.length, m.path);
  }
  // PEFT carries the modules_to_save copies only when the config names some (its key is the VB-LoRA file's)
  if (adapter.config.modules_to_save !== null && adapter.config.modules_to_save.length > 0) {
    for (const [key, t] of adapter.extraTensors) tensors.set(key, t);
  }
  const config = loraConfigFor(adapter.config, ranks, request.kind === 'rank' ? request : { kind: 'energy' });
  return { config, tensors, ranks, singularValues, repairs: repairsOf(mods) };
}

/** One module's LoRA factors: A `(rank, in)` and B `(out, rank)`, float32. */
function convertModule(
  m: AdapterModule,
  A: Float32Array,
  B: Float32Array,
  r: number,
  request: CheckedRequest,
  singularValues: Map<string, Float64Array>,
): { rank: number; A: Float32Array; B: Float32Array } {
  if (request.kind === 'rank' && request.rank >= r) return padded(m, A, B, r, request.rank);
  if (r > Math.min(m.inFeatures, m.outFeatures)) {
    // the thin QR needs tall factors; VB-LoRA allows r above a side only in toy shapes
    throw new UnsupportedError(
      `toLoraAdapter: module ${m.path} has r = ${r} above min(in, out) = ${Math.min(m.inFeatures, m.outFeatures)}; only rank ≥ r (its own factors) can be written for it`,
    );
  }
  const svd = lowRankSvd(B, A, m.outFeatures, m.inFeatures, r);
  singularValues.set(m.path, svd.S);
  const k = request.kind === 'rank' ? request.rank : energyRank(svd.S, request.energy);
  if (k >= r) return padded(m, A, B, r, r); // the whole product: VB-LoRA's own factors are exact
  const outA = new Float32Array(k * m.inFeatures);
  const outB = new Float32Array(m.outFeatures * k);
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < m.inFeatures; i++) outA[j * m.inFeatures + i] = svd.V[i * r + j]!;
    for (let i = 0; i < m.outFeatures; i++) outB[i * k + j] = svd.US[i * r + j]!;
  }
  return { rank: k, A: outA, B: outB };
}

/** VB-LoRA's own A and B, with zero rows of A and zero columns of B up to `rank` (≥ r). */
function padded(
  m: AdapterModule,
  A: Float32Array,
  B: Float32Array,
  r: number,
  rank: number,
): { rank: number; A: Float32Array; B: Float32Array } {
  const outA = new Float32Array(rank * m.inFeatures);
  outA.set(A);
  if (rank === r) return { rank, A: outA, B: Float32Array.from(B) };
  const outB = new Float32Array(m.outFeatures * rank);
  for (let i = 0; i < m.outFeatures; i++) outB.set(B.subarray(i * r, (i + 1) * r), i * rank);
  return { rank, A: outA, B: outB };
}

/** The top-k rows of `mods` whose restored weight PEFT computes as negative (NaN logits on reload). */
function repairsOf(mods: readonly AdapterModule[]): string[] {
  const out: string[] = [];
  for (const m of mods) {
    for (const [which, f] of [
      ['A', m.a],
      ['B', m.b],
    ] as const) {
      if (f.kind !== 'topk') continue;
      for (const row of safeTopkWeights({ weightsKm1: toF32(f.weights) }).repairedRows) {
        out.push(
          `${m.path}.${which} row ${row}: PEFT would reload this row as NaN (and its conversion fail); the dropped weight was clamped at 0`,
        );
      }
    }
  }
  return out;
}

function requireFinite(m: AdapterModule, data: Float32Array, which: 'A' | 'B'): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new NumericalError(
        `toLoraAdapter: the composed ${which} of module ${m.path} holds ${String(data[i])} at element ${i}; PEFT's SVD refuses a non-finite delta`,
        `${m.path}.${which}`,
      );
    }
  }
}
