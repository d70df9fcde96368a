/**
 * Module mapping: PEFT module paths ↔ the MatMul/Gemm layers of an ONNX graph.
 * @module
 */
export type { GraphModule, WeightLayout, PathSource } from './graph-module.js';
export { findGraphModules, type FindModulesOptions } from './find-modules.js';
export { mapGraphModules, type MapModulesOptions, type ModuleMapping } from './map-modules.js';
export { modulePathFromScope } from './scope-path.js';
export { adapterTargets, type AdapterTargets } from './adapter-targets.js';
export { baseTensorTarget, type BaseTensorTarget } from './base-tensor-target.js';
