/**
 * Parameter and byte accounting of VB-LoRA adapters: PEFT's numbers (quirks included) and correct ones.
 * @module
 */
export { indexDtypeFor, indexFloat32Factor, type IndexDType } from './index-dtype.js';
export type { AdapterModuleShape, AdapterShapeSummary } from './adapter-shape-summary.js';
export {
  adapterParameterCount,
  bankParams,
  logitsParams,
  logitsRows,
  type AdapterParameterCount,
} from './parameter-counts.js';
export {
  formatSavableParameters,
  pythonSavableParameters,
  type SavableParameters,
  type SavableParametersOptions,
} from './savable-parameters.js';
export {
  formatTrainableParameters,
  pythonTrainableParameters,
  type TrainableParameters,
  type TrainableParametersOptions,
} from './trainable-parameters.js';
export { checkpointPayloadBytes, type CheckpointPayload, type CheckpointPayloadOptions } from './checkpoint-payload.js';
export { formatPythonFixed, formatPythonGrouped } from './python-format.js';
export { checkMemoryBudget, DEFAULT_MAX_MEMORY_BYTES } from './memory-budget.js';
