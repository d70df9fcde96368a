/**
 * Base values of a hot-swap model's overridable tensors (trained biases, modules_to_save copies), read in Node
 * from the decoded model: external data files are read from the model's folder.
 * @module
 */
import { checkMemoryBudget, toF32, type HostTensor } from '@vblora/core';
import { decodeOnnxModel, readOnnxModel, readTensorData, tensorByteLength, type InjectedOverride } from '@vblora/onnx';
import { ModelSessionError } from './errors.js';

/** @internal */
export async function overrideDefaultsNode(
  file: string | Uint8Array,
  overrides: readonly InjectedOverride[],
  maxMemoryBytes: number,
): Promise<Map<string, HostTensor>> {
  const model = typeof file === 'string' ? await readOnnxModel(file) : decodeOnnxModel(file);
  const inits = new Map((model.proto.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const out = new Map<string, HostTensor>();
  let held = 0;
  for (const o of overrides) {
    const init = inits.get(o.default);
    if (init === undefined)
      throw new ModelSessionError(`the model lacks ${o.default}, the base value of ${o.key}`, 'model-file');
    // the copy below (and an external read) against the budget, with the values read so far
    checkMemoryBudget(
      held + tensorByteLength(init),
      `reading ${o.default}, the base value of ${o.key}`,
      maxMemoryBytes,
    );
    const read = await readTensorData(model, init, { maxMemoryBytes: maxMemoryBytes - held });
    const t = o.dtype === 'f32' ? toF32(read) : read;
    out.set(o.input, { ...t, data: t.data.slice() } as HostTensor); // a copy: the model's bytes can go
    held += t.data.byteLength;
  }
  return out;
}
