/**
 * Inject mode: VB-LoRA branches beside the adapted layers, whose adapter tensors are graph inputs (hot swap) or
 * built-in initializers (`static`).
 * @module
 */
export { injectAdapterInputs, type InjectOptions, type InjectedModel } from './inject-model.js';
export { injectOnnxFile, type InjectOnnxFileOptions } from './inject-file.js';
export {
  readInjectionInfo,
  isHotSwap,
  INJECTION_KEY,
  INJECTION_FORMAT,
  type InjectionInfo,
  type HotSwapInjectionInfo,
  type StaticAdapterInfo,
  type InjectedModule,
  type InjectedInputs,
  type InjectedOverride,
  type InjectVariant,
} from './injection-info.js';
