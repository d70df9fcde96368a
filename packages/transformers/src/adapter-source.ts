/**
 * The forms in which an adapter can be handed to the controller, and turning each into a checked
 * `VBLoRAAdapter`.
 * @module
 */
import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  AdapterError,
  adapterFromFiles,
  DEFAULT_MAX_MEMORY_BYTES,
  findAdapterNonFinite,
  nonFiniteText,
  type AdapterFiles,
  type AdapterNonFinite,
  type LoadedAdapter,
  type VBLoRAAdapter,
} from '@vblora/core';
import { readBody, type FetchLike } from './byte-source.js';

/** An adapter in memory: parsed, read by `readAdapterDir`/`adapterFromFiles`, or its two files' contents. */
export type AdapterInput = VBLoRAAdapter | LoadedAdapter | AdapterFiles;

/**
 * The adapter of `input`, refused when it would compose to NaN (a NaN/±Inf value, or a logits row of −inf only):
 * every generated token would then be garbage.
 * @throws {AdapterError} for such an adapter.
 */
export function checkedAdapter(name: string, input: AdapterInput): VBLoRAAdapter {
  let adapter: VBLoRAAdapter;
  let nonFinite: readonly AdapterNonFinite[];
  if ('adapter' in input) {
    ({ adapter, nonFinite } = input);
  } else if ('weights' in input) {
    ({ adapter, nonFinite } = adapterFromFiles(input, name));
  } else {
    adapter = input;
    nonFinite = findAdapterNonFinite(input);
  }
  if (nonFinite.length > 0) {
    throw new AdapterError(
      `adapter ${name} would compose to NaN: ${nonFinite.slice(0, 3).map(nonFiniteText).join('; ')}`,
    );
  }
  return adapter;
}

/**
 * Fetches a PEFT adapter folder served over HTTP (`adapter_config.json` and `adapter_model.safetensors` under
 * `folder`), each file at most `maxBytes` (default `DEFAULT_MAX_MEMORY_BYTES`, 4 GiB).
 * @throws {AdapterError} when either file cannot be fetched.
 * @throws {ResourceLimitError} when a file is over `maxBytes`.
 */
export async function fetchAdapterFiles(
  folder: string | URL,
  fetchImpl: FetchLike = fetch,
  maxBytes: number = DEFAULT_MAX_MEMORY_BYTES,
): Promise<AdapterFiles> {
  const base = String(folder).endsWith('/') ? String(folder) : `${String(folder)}/`;
  const get = async (file: string): Promise<Response> => {
    const url = new URL(file, new URL(base, globalThis.location?.href)).href;
    const res = await fetchImpl(url);
    if (!res.ok) throw new AdapterError(`GET ${url} answered ${res.status}: not a PEFT adapter folder`);
    return res;
  };
  const [config, weights] = await Promise.all([get(ADAPTER_CONFIG_FILE), get(ADAPTER_WEIGHTS_FILE)]);
  const [configBytes, weightBytes] = await Promise.all([
    readBody(config, maxBytes, `reading ${config.url || base}`),
    readBody(weights, maxBytes, `reading ${weights.url || base}`),
  ]);
  return { config: new TextDecoder().decode(configBytes), weights: weightBytes };
}
