/**
 * `@vblora/tfjs`: VB-LoRA on TensorFlow.js — every kernel as a backend, model wrapping, and training with the
 * differentiable top-k admixture.
 *
 * @example
 * ```ts
 * import { createTfjsBackend } from '@vblora/tfjs';
 * import { composeAdapter, resolveBackend } from '@vblora/core';
 * const backend = await resolveBackend([createTfjsBackend({ tfBackend: 'cpu' })]);
 * const pairs = await composeAdapter(adapter, { backend });
 * ```
 * @packageDocumentation
 */
export { createTfjsBackend, type TfjsBackendOptions } from './backend/tfjs-backend.js';
export { createBackend } from './backend/create-backend.js';
export { buildToyLlama, type ToyLlamaOptions } from './models/toy-llama.js';
export { buildToyGPT2, type ToyGPT2Options } from './models/toy-gpt2.js';
export { buildToyLinear, type ToyLinearOptions } from './models/toy-linear.js';
export { toyFromStateDict } from './models/from-state-dict.js';
export { loadToyStateDict, toyStateDict, toyLayer, type ToyFamily, type ToyModel } from './models/toy-model.js';
export { SingleHeadAttention, softmaxTorch } from './models/attention-layer.js';
export { RoundTo } from './models/round-layer.js';
export { applyVBLoRA, loadVBLoRA, toyOptions, type ApplyVBLoRAOptions } from './layers/apply-vblora.js';
export { VBLoRAModel, type VBLoRAModelOptions } from './layers/vblora-model.js';
export type { PredictOptions } from './layers/forward-state.js';
export { AdapterWeights, type TfAdapterFactor, type TfAdapterModule } from './layers/adapter-weights.js';
export {
  defaultModulePath,
  modelModules,
  moduleInfos,
  type KindFn,
  type ModelModule,
  type ModuleMappingOptions,
  type ModulePathFn,
} from './layers/module-paths.js';
// PEFT's top-k resume guard: the text lives in @vblora/core (kernels/kernel-errors.ts)
export { TOPK_RESUME_MESSAGE } from '@vblora/core';
export { applyLoRA, LoRAModel, type LoRALayer, type LoRAOptions } from './layers/lora-baseline.js';
export { AdamW, type AdamWOptions, type ParamGroup } from './training/adamw.js';
export { mseLoss, crossEntropyLoss, type LossFn } from './training/losses.js';
export type { TrainableModel, VariableGroups } from './training/trainable.js';
export {
  createOptimizer,
  lossAndGradients,
  trainAdapter,
  type Batch,
  type OptimizerSettings,
  type TrainOptions,
  type TrainProgress,
  type TrainResult,
} from './training/train.js';
