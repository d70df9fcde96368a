/**
 * PEFT's own error and warning texts for config problems (SPEC §1.2-§1.4, `peft/config.py`), kept word for word
 * so that users can search for them. Each function documents where PEFT raises it.
 * @module
 */
import { pyRepr, pyStr } from './py-repr.js';
import { compareCodePoints } from './py-json-dumps.js';
import { TASK_TYPES } from './types.js';

/**
 * PEFT prints these values with `str()`; a value from a stranger's file could then carry terminal escape sequences
 * into the user's terminal. Control characters are escaped as Python's `repr` writes them; other text is unchanged.
 */
function printable(value: unknown): string {
  return pyStr(value).replace(
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** `PeftConfigMixin.__post_init__`: ValueError for a task type outside `TaskType`. */
export function invalidTaskTypeMessage(taskType: unknown): string {
  return (
    `Invalid task type: '${printable(taskType)}'. ` +
    `Must be one of the following task types: ${TASK_TYPES.join(', ')}.`
  );
}

/** `VBLoRAConfig.__post_init__`: ValueError when `layers_pattern` is set but `layers_to_transform` is None. */
export const LAYERS_PATTERN_MESSAGE =
  'When `layers_pattern` is specified, `layers_to_transform` must also be specified. ';

/** `VBLoRALayer.update_layer`: ValueError for `r <= 0` or `topk <= 0`. */
export function nonPositiveMessage(field: 'r' | 'topk', value: number): string {
  return `\`${field}\` ${pyRepr(value)} should be a positive integer value`;
}

/** `VBLoRALayer.update_layer`: ValueError when a layer's feature count is not a multiple of `vector_length`. */
export function notDivisibleMessage(which: 'in_features' | 'out_features', features: number, vl: number): string {
  return `\`${which}\` ${pyRepr(features)} must be divisible by \`vector_length\` ${pyRepr(vl)}`;
}

/** `_mark_only_adapters_as_trainable`: NotImplementedError for a `bias` other than none/all/`*_only`. */
export function biasNotImplementedMessage(bias: unknown): string {
  return `Requested bias: ${printable(bias)}, is not implemented.`;
}

/** `PeftConfigMixin.from_json_file`: warning when the file holds a `runtime_config` key (it is dropped). */
export const RUNTIME_CONFIG_WARNING =
  'The configuration file contains a `runtime_config` key. This is ignored. ' +
  'Runtime configurations are only valid at runtime.';

/** `PeftConfigMixin.from_peft_type`: warning listing keys the config class does not know (they are dropped). */
export function unexpectedKeysWarning(keys: readonly string[]): string {
  const sorted = [...keys].sort(compareCodePoints);
  return (
    `Unexpected keyword arguments ${pyRepr(sorted)} for class VBLoRAConfig, these are ignored. ` +
    "This probably means that you're loading a configuration file that was saved using a higher version of the " +
    'library and additional parameters have been introduced since. It is highly recommended to upgrade the PEFT ' +
    'version before continuing (e.g. by running `pip install -U peft`).'
  );
}
