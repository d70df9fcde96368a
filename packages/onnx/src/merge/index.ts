/**
 * Merge mode: adapters merged into ONNX initializers.
 * @module
 */
export { planMerge, type MergePlan, type MergeUpdate, type PlanMergeOptions } from './merge-plan.js';
export { mergeOnnxModel, type MergeOnnxOptions, type MergeOnnxReport } from './merge-model.js';
export { mergeOnnxFile, type MergeOnnxFileOptions } from './merge-file.js';
