/**
 * Running test models on onnxruntime-node.
 */
import * as ort from 'onnxruntime-node';
import { tensor, toF32, type HostTensor } from '@vblora/core';

/** Session options that keep onnxruntime quiet (errors only) and deterministic (one thread). */
export const QUIET: ort.InferenceSession.SessionOptions = {
  logSeverityLevel: 3,
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
};

/** Runs a model (bytes or path) on x and returns output `y` as a float32 host tensor. */
export async function runToy(model: Uint8Array | string, x: HostTensor): Promise<HostTensor<'f32'>> {
  const session =
    typeof model === 'string'
      ? await ort.InferenceSession.create(model, QUIET)
      : await ort.InferenceSession.create(model, QUIET);
  try {
    const xs = toF32(x);
    const out = await session.run({ x: new ort.Tensor('float32', xs.data, [...xs.shape]) });
    const y = out['y']!;
    return tensor('f32', y.dims, y.data as Float32Array);
  } finally {
    await session.release();
  }
}
