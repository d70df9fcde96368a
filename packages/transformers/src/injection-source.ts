/**
 * Reading what a hot-swap model file expects — its injection description and, when adapters may replace base
 * tensors, those tensors' base values — from the file transformers.js loaded the session from.
 * @module
 */
import { toF32, type HostTensor } from '@vblora/core';
import { isHotSwap, readInjectionInfo, readTensorData, type HotSwapInjectionInfo, type OnnxModel } from '@vblora/onnx';
import type { ByteSource } from './byte-source.js';
import { ModelSessionError } from './errors.js';
import { readModelMetadata } from './model-metadata.js';

/** One model file, as bytes to scan and (only when needed) as a decoded model. */
export interface ModelFileAccess {
  /** Where the file is, for messages. */
  readonly label: string;
  /** Random access to the file's bytes. */
  open(): Promise<ByteSource>;
  /** The whole model decoded (external data readable where the platform can read them). */
  decode(): Promise<OnnxModel>;
}

/** The description of a hot-swap model and the base values of its overridable tensors. */
export interface ModelInjection {
  readonly info: HotSwapInjectionInfo;
  /** Override input name → base value, in the input's element type. */
  readonly defaults: ReadonlyMap<string, HostTensor>;
}

/**
 * Reads the injection description of a model file: only its top-level fields are walked, and the graph is decoded
 * only when the model has overridable tensors (trained biases, modules_to_save copies), whose base values are fed
 * whenever an adapter does not replace them.
 * @throws {ModelSessionError} `not-injected`, `static` or `model-file`.
 */
export async function readModelInjection(file: ModelFileAccess): Promise<ModelInjection> {
  const source = await file.open();
  let entries;
  try {
    entries = await readModelMetadata(source);
  } catch (err) {
    if (err instanceof ModelSessionError) throw new ModelSessionError(`${file.label}: ${err.message}`, err.rule, { cause: err });
    throw err;
  } finally {
    await source.close();
  }
  const info = readInjectionInfo({ metadataProps: entries });
  if (info === null) {
    throw new ModelSessionError(
      `${file.label} has no VB-LoRA inputs: write the folder with injectModelFolder(..., { hotSwap: true }) or vblora inject --hot-swap`,
      'not-injected',
    );
  }
  if (!isHotSwap(info)) {
    throw new ModelSessionError(
      `${file.label} has adapter ${info.static?.adapter ?? '(unnamed)'} built in (static variant): there is nothing to switch; ` +
        'load it with transformers.js as it is, or write the folder with hotSwap: true / --hot-swap',
      'static',
    );
  }
  const defaults = new Map<string, HostTensor>();
  if (info.overrides.length > 0) {
    const model = await file.decode();
    const inits = new Map((model.proto.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
    for (const o of info.overrides) {
      const init = inits.get(o.default);
      if (init === undefined) throw new ModelSessionError(`${file.label} lacks ${o.default}, the base value of ${o.key}`, 'model-file');
      const read = await readTensorData(model, init);
      const t = o.dtype === 'f32' ? toF32(read) : read;
      defaults.set(o.input, { ...t, data: t.data.slice() } as HostTensor); // a copy: the model's bytes can go
    }
  }
  return { info, defaults };
}
