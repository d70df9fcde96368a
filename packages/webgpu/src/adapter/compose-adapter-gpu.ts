/**
 * `composeAdapterOnGpu`: core's `composeAdapter` with the results left on the GPU — A and B of every module of a
 * VB-LoRA adapter, composed by the runtime's `composeLowRank` and kept for forwards.
 * @module
 */
import {
  AdapterError,
  factorSource,
  isTopk,
  readIndices,
  tensor,
  toF32,
  type HostTensor,
  type LogitsSource,
  type VBLoRAAdapter,
} from '@vblora/core';
import type { GpuLogitsSource, GpuLowRankPair } from '../ops/compose.js';
import type { GpuTensor } from '../runtime/gpu-tensor.js';
import type { WebGpuRuntime } from '../webgpu-runtime.js';

/** Options of {@link composeAdapterOnGpu}. */
export interface ComposeAdapterOnGpuOptions {
  /** Only these module paths (default: all, in file order). */
  readonly modules?: readonly string[];
}

function upload(rt: WebGpuRuntime, src: LogitsSource, nv: number, arg: string, temps: GpuTensor[]): GpuLogitsSource {
  const keep = <T extends GpuTensor>(t: T): T => {
    temps.push(t);
    return t;
  };
  if (isTopk(src)) {
    return {
      indices: keep(
        rt.upload(
          tensor('i32', src.indices.shape, readIndices(src.indices, nv, `${arg}.indices`, 'composeLowRank')),
          `${arg}.indices`,
        ),
      ),
      weights: keep(rt.upload(src.weights, `${arg}.weights`)),
    };
  }
  return keep(rt.upload(src as HostTensor<'f32'>, arg));
}

/**
 * Composes the float32 A `(r, in)` and B `(out, r)` of every module on the GPU, from logits or from a top-k
 * checkpoint (the same numbers as `composeAdapter` with the WebGPU backend). The pairs stay on the GPU: dispose
 * them when done.
 * @throws {AdapterError} when a requested module is not in the adapter.
 * @example
 * ```ts
 * const pairs = await composeAdapterOnGpu(rt, adapter);
 * const y = await model.forward(x, { pairs, extraTensors: adapter.extraTensors });
 * for (const { A, B } of pairs.values()) { A.dispose(); B.dispose(); }
 * ```
 */
export async function composeAdapterOnGpu(
  rt: WebGpuRuntime,
  adapter: VBLoRAAdapter,
  options: ComposeAdapterOnGpuOptions = {},
): Promise<Map<string, GpuLowRankPair>> {
  const k = adapter.config.topk;
  const paths = options.modules ?? [...adapter.modules.keys()];
  const bankHost = toF32(adapter.bank);
  const nv = bankHost.shape[0] ?? 0;
  const missing = paths.find((p) => !adapter.modules.has(p));
  if (missing !== undefined) throw new AdapterError(`adapter "${adapter.name}" has no module ${missing}`, missing);
  const out = new Map<string, GpuLowRankPair>();
  const bank = rt.upload(bankHost, 'bank');
  try {
    for (const path of paths) {
      const m = adapter.modules.get(path)!;
      const temps: GpuTensor[] = []; // this module's logits, freed once its compose is submitted
      try {
        const logitsA = upload(rt, factorSource(m.a, k), nv, 'logitsA', temps);
        const logitsB = upload(rt, factorSource(m.b, k), nv, 'logitsB', temps);
        out.set(path, await rt.composeLowRank({ logitsA, logitsB, bank, k }));
      } finally {
        for (const t of temps) t.dispose();
      }
    }
    return out;
  } catch (e) {
    for (const { A, B } of out.values()) {
      A.dispose();
      B.dispose();
    }
    throw e;
  } finally {
    bank.dispose();
  }
}
