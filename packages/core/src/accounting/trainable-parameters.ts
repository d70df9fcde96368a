/**
 * PEFT's `PeftModel.get_nb_trainable_parameters` and `print_trainable_parameters` (SPEC §6.1).
 * @module
 */
import { AdapterError } from '../errors.js';
import type { AdapterShapeSummary } from './adapter-shape-summary.js';
import { bankParams, logitsParams } from './parameter-counts.js';
import { formatPythonFixed, formatPythonGrouped } from './python-format.js';
import { adapterMap } from './savable-parameters.js';

/** PEFT's `(trainable_params, all_param)` over `named_parameters()` (shared bank counted once). */
export interface TrainableParameters {
  readonly trainable: number;
  readonly all: number;
}

/** Options of {@link pythonTrainableParameters}. */
export interface TrainableParametersOptions {
  /** Number of parameters of the base model (e.g. the element count of its safetensors file). */
  readonly baseParams: number;
  /** Adapters that train; default the first one. Pass `[]` for `inference_mode` (everything frozen). */
  readonly active?: readonly string[];
}

/**
 * All = base + every adapter's logits, bank and modules_to_save copies; trainable = the active adapters' logits,
 * banks, modules_to_save copies and unfrozen base parameters (e.g. biases with `bias="vblora_only"`).
 */
export function pythonTrainableParameters(
  adapters: AdapterShapeSummary | readonly AdapterShapeSummary[],
  options: TrainableParametersOptions,
): TrainableParameters {
  const list: readonly AdapterShapeSummary[] = Array.isArray(adapters) ? adapters : [adapters as AdapterShapeSummary];
  const byName = adapterMap(list);
  const { baseParams } = options;
  if (!Number.isSafeInteger(baseParams) || baseParams < 0) {
    throw new AdapterError(`baseParams must be a non-negative integer; got ${baseParams}`);
  }
  const own = (a: AdapterShapeSummary): number => logitsParams(a) + bankParams(a) + (a.modulesToSaveParams ?? 0);
  let all = baseParams;
  for (const a of list) all += own(a);
  let trainable = 0;
  for (const name of options.active ?? [...byName.keys()].slice(0, 1)) {
    const a = byName.get(name);
    if (a === undefined) throw new AdapterError(`unknown active adapter ${JSON.stringify(name)}`);
    trainable += own(a) + (a.trainableBaseParams ?? 0);
  }
  return { trainable, all };
}

/** PEFT's `print_trainable_parameters()` line (`{:,d}` counts, `{:.4f}` percentage). */
export function formatTrainableParameters(p: TrainableParameters): string {
  if (p.all === 0)
    throw new AdapterError('trainable% is undefined for a model with 0 parameters (Python raises ZeroDivisionError)');
  const percent = formatPythonFixed((100 * p.trainable) / p.all, 4);
  return `trainable params: ${formatPythonGrouped(p.trainable)} || all params: ${formatPythonGrouped(p.all)} || trainable%: ${percent}`;
}
