/**
 * Parameter counts of one adapter (SPEC §3.1 shapes): logits A `(r, in/vl, nv)`, B `(out/vl, r, nv)`, bank `(nv, vl)`.
 * @module
 */
import { checkAdapterSummary, otherTrainableParams, type AdapterShapeSummary } from './adapter-shape-summary.js';

/** Rows of top-k selections over all logits of an adapter: `Σ r·in/vl + out/vl·r` (= logits / nv). */
export function logitsRows(adapter: AdapterShapeSummary): number {
  checkAdapterSummary(adapter);
  let rows = 0;
  for (const m of adapter.modules)
    rows += m.r * (m.inFeatures / adapter.vectorLength) + (m.outFeatures / adapter.vectorLength) * m.r;
  return rows;
}

/** Elements of every `vblora_logits_A`/`_B` of the adapter. */
export function logitsParams(adapter: AdapterShapeSummary): number {
  return logitsRows(adapter) * adapter.numVectors;
}

/** Elements of the adapter's vector bank (`nv · vl`; shared by all its layers, counted once). */
export function bankParams(adapter: AdapterShapeSummary): number {
  checkAdapterSummary(adapter);
  return adapter.numVectors * adapter.vectorLength;
}

/** This adapter's own parameters, nothing from other adapters (unlike PEFT's savable count, SPEC §7.10). */
export interface AdapterParameterCount {
  readonly logits: number;
  readonly bank: number;
  /** `logits + bank`. */
  readonly vblora: number;
  /** modules_to_save copies plus unfrozen base parameters. */
  readonly other: number;
  readonly total: number;
}

/** Counts one adapter's parameters correctly (per adapter). */
export function adapterParameterCount(adapter: AdapterShapeSummary): AdapterParameterCount {
  const logits = logitsParams(adapter);
  const bank = bankParams(adapter);
  const other = otherTrainableParams(adapter);
  return { logits, bank, vblora: logits + bank, other, total: logits + bank + other };
}
