/**
 * Reading and writing `.onnx` files: inline and external tensor data, f32/f16/bf16 initializers.
 * @module
 */
export type { OnnxModel } from './onnx-model.js';
export {
  decodeOnnxModel,
  encodeOnnxModel,
  readOnnxModel,
  type DecodeOnnxOptions,
  type ReadOnnxOptions,
} from './read-model.js';
export { writeOnnxModel, type WriteOnnxOptions, type WriteOnnxReport, type ExternalDataMode } from './write-model.js';
export {
  readTensorData,
  tensorProtoFromHost,
  tensorDims,
  tensorDtype,
  tensorByteLength,
  storageOf,
  type TensorStorage,
  type ReadTensorOptions,
} from './tensor-data.js';
export { externalDataRef, type ExternalDataRef } from './external-data.js';
export type { ExternalDataReader } from './external-ref.js';
export { dtypeFromOnnx, onnxFromDtype } from './onnx-dtype.js';
