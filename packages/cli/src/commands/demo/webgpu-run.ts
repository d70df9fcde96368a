import type { ModelRun } from './model-parity.js';

/**
 * The ToyLlama on the WebGPU runtime (Dawn; SwiftShader when the machine has no GPU): A/B composed on the GPU,
 * one forward with the adapter unmerged. Throws when no WebGPU adapter is available here.
 */
export async function loadWebGpuForward(): Promise<ModelRun> {
  const { createWebGpuRuntime, createToyLlamaGpu, composeAdapterOnGpu } = await import('@vblora/webgpu');
  const { nodeGpu, swiftShaderOptions } = await import('@vblora/webgpu/node');
  const rt = await createWebGpuRuntime({ gpu: nodeGpu(swiftShaderOptions() ?? {}) });
  return async ({ adapter, base, x }) => {
    const model = createToyLlamaGpu(rt, base);
    const pairs = await composeAdapterOnGpu(rt, adapter);
    try {
      return await model.forward(x, { pairs, extraTensors: adapter.extraTensors });
    } finally {
      for (const { A, B } of pairs.values()) {
        A.dispose();
        B.dispose();
      }
      model.dispose();
    }
  };
}
