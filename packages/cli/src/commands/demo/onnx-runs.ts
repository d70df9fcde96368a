import { join } from 'node:path';
import { writeFileAtomic } from '@vblora/core/node';
import type { InjectVariant } from '@vblora/onnx';
import type { ModelRun } from './model-parity.js';

/** File names of the ONNX models the merge run leaves in the demo's output folder. */
export const ONNX_FILES = { base: 'toy-llama.onnx', merged: 'toy-llama.merged.onnx' } as const;

/**
 * Inject mode: the ToyLlama exported to ONNX, VB-LoRA inputs injected beside every adapted layer, the adapter
 * loaded into an `AdapterSession` (onnxruntime-node) and one run with it.
 */
export async function loadOnnxInject(variant: InjectVariant): Promise<ModelRun> {
  const onnx = await import('@vblora/onnx');
  return async ({ adapter, base, x }) => {
    const injected = await onnx.injectAdapterInputs(onnx.toyLlamaOnnx(base), { adapter, variant });
    const session = await onnx.AdapterSession.create(injected.model);
    try {
      await session.loadAdapter('demo', adapter);
      const out = await session.run({ x: onnx.toOrtTensor(x) }, { adapter: 'demo' });
      return onnx.fromOrtTensor(out['y']!);
    } finally {
      await session.release();
    }
  };
}

/**
 * Merge mode: the ToyLlama exported to `toy-llama.onnx`, the adapter merged into its initializers as
 * `toy-llama.merged.onnx` (what `vblora merge` writes), and one plain onnxruntime-node run of the merged file.
 */
export async function loadOnnxMerge(): Promise<ModelRun> {
  const onnx = await import('@vblora/onnx');
  return async ({ adapter, base, x, dir }) => {
    const basePath = join(dir, ONNX_FILES.base);
    const mergedPath = join(dir, ONNX_FILES.merged);
    await writeFileAtomic(basePath, onnx.toyLlamaOnnx(base).bytes);
    await onnx.mergeOnnxFile(adapter, basePath, mergedPath);
    return (await onnx.runOnnxModel(mergedPath, { x })).get('y')!;
  };
}
