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
  findAdapterNonFinite,
  nonFiniteText,
  type AdapterFiles,
  type AdapterNonFinite,
  type LoadedAdapter,
  type VBLoRAAdapter,
} from '@vblora/core';
import type { FetchLike } from './byte-source.js';

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
    throw new AdapterError(`adapter ${name} would compose to NaN: ${nonFinite.slice(0, 3).map(nonFiniteText).join('; ')}`);
  }
  return adapter;
}

/**
 * Fetches a PEFT adapter folder served over HTTP (`adapter_config.json` and `adapter_model.safetensors` under
 * `folder`).
 * @throws {AdapterError} when either file cannot be fetched.
 */
export async function fetchAdapterFiles(folder: string | URL, fetchImpl: FetchLike = fetch): Promise<AdapterFiles> {
  const base = String(folder).endsWith('/') ? String(folder) : `${String(folder)}/`;
  const get = async (file: string): Promise<Response> => {
    const url = new URL(file, new URL(base, globalThis.location?.href)).href;
    const res = await fetchImpl(url);
    if (!res.ok) throw new AdapterError(`GET ${url} answered ${res.status}: not a PEFT adapter folder`);
    return res;
  };
  const [config, weights] = await Promise.all([get(ADAPTER_CONFIG_FILE), get(ADAPTER_WEIGHTS_FILE)]);
  return { config: await config.text(), weights: new Uint8Array(await weights.arrayBuffer()) };
}
