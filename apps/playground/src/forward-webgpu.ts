import type { HostTensor, VBLoRAAdapter } from '@vblora/core';
import { composeAdapterOnGpu, createToyLlamaGpu, type WebGpuRuntime } from '@vblora/webgpu';
import type { ForwardRun } from './forward-run.js';

/**
 * A ToyLlama with its adapter entirely on WebGPU: A/B of every module composed on the GPU and kept there, then
 * the model forward (fused base + adapter matmuls, attention, relu, residuals) on the same device. The runtime is
 * the caller's; everything this allocates on it is freed before returning.
 */
export async function forwardOnWebGpu(
  rt: WebGpuRuntime,
  adapter: VBLoRAAdapter,
  base: ReadonlyMap<string, HostTensor>,
  x: HostTensor,
): Promise<ForwardRun> {
  const model = createToyLlamaGpu(rt, base);
  const t0 = performance.now();
  const pairs = await composeAdapterOnGpu(rt, adapter);
  await rt.sync(); // kernels run asynchronously: time them to completion
  const composeMs = performance.now() - t0;
  try {
    const withAdapter = { pairs, extraTensors: adapter.extraTensors };
    const t1 = performance.now();
    await model.forward(x, withAdapter); // the first run compiles the forward kernels
    const forwardFirstMs = performance.now() - t1;
    const t2 = performance.now();
    const out = await model.forward(x, withAdapter);
    const forwardMs = performance.now() - t2;
    const baseOut = await model.forward(x);
    return { composeOn: 'webgpu', composeMs, forwardOn: 'webgpu', forwardFirstMs, forwardMs, out, baseOut };
  } finally {
    for (const { A, B } of pairs.values()) {
      A.dispose();
      B.dispose();
    }
    model.dispose();
  }
}
