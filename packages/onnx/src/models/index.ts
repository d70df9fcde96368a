/**
 * Base models built as ONNX graphs from a PyTorch state dict: the golden fixtures' ToyLlama.
 * @module
 */
export { toyLlamaOnnx, toyLlamaDims, type ToyLlamaOnnxOptions, type ToyLlamaDims } from './toy-llama.js';
export type { ToyStyle } from './toy-graph.js';
