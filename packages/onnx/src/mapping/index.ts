/**
 * Module mapping: PEFT module paths ↔ the layers of an ONNX graph (float MatMul/Gemm, 4-bit MatMulNBits, 8-bit
 * MatMulInteger and its fused forms), in the top-level graph and in `If` branches.
 * @module
 */
export {
  subgraphKey,
  subgraphLabel,
  type GraphModule,
  type WeightLayout,
  type PathSource,
  type WeightFormat,
  type LayerOp,
  type QuantizedWeight,
  type Q4Weight,
  type Int8Weight,
  type SubgraphStep,
  type UnsupportedLayer,
} from './graph-module.js';
export { findGraphModules, scanGraphModules, type FindModulesOptions, type GraphScan } from './find-modules.js';
export { mapGraphModules, type MapModulesOptions, type ModuleMapping } from './map-modules.js';
export { modulePathFromScope } from './scope-path.js';
export { adapterTargets, type AdapterTargets } from './adapter-targets.js';
export { baseTensorTarget, type BaseTensorTarget } from './base-tensor-target.js';
