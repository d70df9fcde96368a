/**
 * PEFT's `VBLoRAModel.get_nb_savable_parameters` and `print_savable_parameters` (SPEC §6.1), quirks included.
 * @module
 */
import { AdapterError } from '../errors.js';
import { checkAdapterSummary, otherTrainableParams, type AdapterShapeSummary } from './adapter-shape-summary.js';
import { indexFloat32Factor } from './index-dtype.js';
import { bankParams, logitsParams } from './parameter-counts.js';
import { formatPythonGrouped } from './python-format.js';

/** PEFT's `(vblora_params, other_params)`, "float32-equivalent". */
export interface SavableParameters {
  readonly vbloraParams: number;
  readonly otherParams: number;
}

/** Options of {@link pythonSavableParameters}. */
export interface SavableParametersOptions {
  /** The `adapter` argument: whose flag, `num_vectors` and `topk` apply; default the first adapter. */
  readonly adapter?: string;
  /** Adapters whose other parameters require grad; default the first adapter (PEFT's initially active one). */
  readonly active?: readonly string[];
}

/**
 * Reproduces PEFT's count exactly: logits and banks of **all** adapters (SPEC §7.10), the chosen adapter's
 * `save_only_topk_weights`, `num_vectors` and `topk`, the same float operations in the same order and one
 * final `int()` truncation; `otherParams` = the active adapters' modules_to_save copies and unfrozen base parameters.
 * Use {@link adapterParameterCount} for a per-adapter count.
 */
export function pythonSavableParameters(
  adapters: AdapterShapeSummary | readonly AdapterShapeSummary[],
  options: SavableParametersOptions = {},
): SavableParameters {
  const list: readonly AdapterShapeSummary[] = Array.isArray(adapters) ? adapters : [adapters as AdapterShapeSummary];
  const byName = adapterMap(list);
  const first = list[0];
  if (first === undefined) throw new AdapterError('no adapters given; expected at least one adapter summary');
  const chosen = byName.get(options.adapter ?? checkAdapterSummary(first));
  if (chosen === undefined)
    throw new AdapterError(
      `unknown adapter ${JSON.stringify(options.adapter)}; known: ${[...byName.keys()].join(', ')}`,
    );
  let logits = 0;
  let bank = 0;
  for (const a of list) {
    logits += logitsParams(a);
    bank += bankParams(a);
  }
  let otherParams = 0;
  for (const name of options.active ?? [checkAdapterSummary(first)]) {
    const a = byName.get(name);
    if (a === undefined) throw new AdapterError(`unknown active adapter ${JSON.stringify(name)}`);
    otherParams += otherTrainableParams(a);
  }
  if (!chosen.saveOnlyTopkWeights) return { vbloraParams: bank + logits, otherParams };
  const nv = chosen.numVectors;
  const factor = indexFloat32Factor(nv);
  const topkWeightParams = (logits / nv) * (chosen.topk - 1);
  const topkIndicesParams = (logits / nv) * chosen.topk * factor;
  return { vbloraParams: Math.trunc(bank + topkWeightParams + topkIndicesParams), otherParams };
}

/** PEFT's `print_savable_parameters()` line. */
export function formatSavableParameters(p: SavableParameters): string {
  return (
    `VB-LoRA params to-be-saved (float32-equivalent): ${formatPythonGrouped(p.vbloraParams)} ` +
    `|| total params to-be-saved: ${formatPythonGrouped(p.vbloraParams + p.otherParams)}`
  );
}

/** Adapters by name; rejects duplicate names. @internal */
export function adapterMap(list: readonly AdapterShapeSummary[]): Map<string, AdapterShapeSummary> {
  const map = new Map<string, AdapterShapeSummary>();
  for (const a of list) {
    const name = checkAdapterSummary(a);
    if (map.has(name)) throw new AdapterError(`adapter ${JSON.stringify(name)} is listed twice`);
    map.set(name, a);
  }
  return map;
}
