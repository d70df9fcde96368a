/**
 * Inject mode: VB-LoRA branches whose adapter tensors are graph inputs.
 * @module
 */
export { injectAdapterInputs, type InjectOptions, type InjectedModel } from './inject-model.js';
export { injectOnnxFile, type InjectOnnxFileOptions } from './inject-file.js';
export {
  readInjectionInfo,
  INJECTION_KEY,
  INJECTION_FORMAT,
  type InjectionInfo,
  type InjectedModule,
  type InjectedInputs,
  type InjectedOverride,
  type InjectVariant,
} from './injection-info.js';
