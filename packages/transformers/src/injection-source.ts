/**
 * Reading what a hot-swap model file expects — its injection description and, when adapters may replace base
 * tensors, those tensors' base values — from the file transformers.js loaded the session from.
 * @module
 */
import { DEFAULT_MAX_MEMORY_BYTES, type HostTensor } from '@vblora/core';
import { isHotSwap, readInjectionInfo, type HotSwapInjectionInfo, type InjectedOverride } from '@vblora/onnx/web';
import type { ByteSource } from './byte-source.js';
import { ModelSessionError } from './errors.js';
import { readModelMetadata } from './model-metadata.js';

/** One model file: bytes to scan, and (only when the model has overridable tensors) their base values. */
export interface ModelFileAccess {
  /** Where the file is, for messages. */
  readonly label: string;
  /** Random access to the file's bytes; no answer of a server is held beyond `maxBytes`. */
  open(maxBytes: number): Promise<ByteSource>;
  /**
   * Base values of the overridable tensors, by graph input, in each input's element type (copies). Only models
   * injected for adapters that replace base tensors (trained biases, modules_to_save) have any.
   * @throws {ResourceLimitError} when they would be over `read.maxMemoryBytes`.
   */
  overrideDefaults(overrides: readonly InjectedOverride[], read: OverrideRead): Promise<Map<string, HostTensor>>;
}

/** What reading the base values of overridable tensors is given. */
export interface OverrideRead {
  /** The model file, open (its metadata were read from it). */
  readonly source: ByteSource;
  /** Memory budget for the base values and what reading them holds at once. */
  readonly maxMemoryBytes: number;
}

/** The description of a hot-swap model and the base values of its overridable tensors. */
export interface ModelInjection {
  readonly info: HotSwapInjectionInfo;
  /** Override input name → base value, in the input's element type. */
  readonly defaults: ReadonlyMap<string, HostTensor>;
}

/**
 * Reads the injection description of a model file: only its top-level fields are walked. The base values of
 * overridable tensors (trained biases, modules_to_save copies), fed whenever an adapter does not replace them, are
 * read only when the model has such tensors, within `maxMemoryBytes` (default `DEFAULT_MAX_MEMORY_BYTES`, 4 GiB).
 * @throws {ModelSessionError} `not-injected`, `static` or `model-file`.
 * @throws {ResourceLimitError} when those base values would be over the memory budget.
 */
export async function readModelInjection(
  file: ModelFileAccess,
  maxMemoryBytes: number = DEFAULT_MAX_MEMORY_BYTES,
): Promise<ModelInjection> {
  const source = await file.open(maxMemoryBytes);
  try {
    return await readFrom(file, source, maxMemoryBytes);
  } finally {
    await source.close();
  }
}

async function readFrom(file: ModelFileAccess, source: ByteSource, maxMemoryBytes: number): Promise<ModelInjection> {
  let entries;
  try {
    entries = await readModelMetadata(source);
  } catch (err) {
    if (err instanceof ModelSessionError)
      throw new ModelSessionError(`${file.label}: ${err.message}`, err.rule, { cause: err });
    throw err;
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
  const defaults =
    info.overrides.length > 0
      ? await file.overrideDefaults(info.overrides, { source, maxMemoryBytes })
      : new Map<string, HostTensor>();
  return { info, defaults };
}
