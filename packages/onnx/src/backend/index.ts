/**
 * The onnxruntime-node backend.
 * @module
 */
export { createOnnxBackend, onnxBackend, type OnnxBackend, type OnnxBackendOptions } from './onnx-backend.js';
