/**
 * The `vblora.*` feeds of one adapter selection, built once (with `@vblora/onnx`'s `stackFeeds`) and kept for the
 * next runs: generation runs the decoder once per token with the same adapters.
 * @module
 */
import { checkMemoryBudget, type HostTensor } from '@vblora/core';
import {
  stackedFeedBytes,
  stackFeeds,
  type FeedData,
  type HotSwapInjectionInfo,
  type PreparedAdapter,
} from '@vblora/onnx/web';
import { ModelSessionError } from './errors.js';

/** Makes a runtime tensor (the kind the session takes) from typed data. */
export type TensorFactory = (type: FeedData['type'], data: FeedData['data'], dims: readonly number[]) => unknown;

interface Entry {
  readonly feeds: Record<string, unknown>;
  /** The arrays behind the feeds and their lengths: a transferred (detached) array reads as length 0. */
  readonly arrays: readonly (readonly [ArrayLike<unknown>, number])[];
}

/** Selections kept: a server switching among a few adapters does not rebuild them per request. */
const CACHE_SIZE = 4;

/** @internal */
export class FeedCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly info: HotSwapInjectionInfo,
    /** Base values of the overridable tensors, by input name. */
    private readonly defaults: ReadonlyMap<string, HostTensor>,
    private readonly make: TensorFactory,
    /** Memory budget for one selection's stacked feeds, checked before they are allocated. */
    private readonly budget: number,
  ) {}

  /** Forgets every built selection (an adapter was loaded or unloaded). */
  clear(): void {
    this.entries.clear();
  }

  /** The adapter feeds (without the row input) for these slots; `key` names the selection. */
  feeds(key: string, slots: readonly (PreparedAdapter | null)[]): Record<string, unknown> {
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      if (hit.arrays.some(([a, n]) => a.length !== n)) {
        throw new ModelSessionError(
          'the runtime took the adapter tensors away after a run (onnxruntime-web transfers inputs to its worker when ' +
            'env.backends.onnx.wasm.proxy is true): switchable adapters need the proxy off',
          'detached',
        );
      }
      this.entries.delete(key); // most recently used last
      this.entries.set(key, hit);
      return hit.feeds;
    }
    const feeds: Record<string, unknown> = {};
    const arrays: (readonly [ArrayLike<unknown>, number])[] = [];
    const add = (name: string, f: FeedData): void => {
      feeds[name] = this.make(f.type, f.data, f.dims);
      arrays.push([f.data, f.data.length]);
    };
    checkMemoryBudget(
      stackedFeedBytes(this.info, slots),
      `the VB-LoRA inputs of ${slots.length} adapter slot(s)`,
      this.budget,
    );
    for (const [name, f] of stackFeeds(this.info, slots)) add(name, f);
    for (const [name, base] of this.defaults) {
      // overriding adapters are never mixed in one run (checked by the caller): the first slot decides
      const t = slots[0]?.overrides.get(name) ?? base;
      add(name, {
        type: t.dtype === 'f16' ? 'float16' : 'float32',
        data: t.data as Float32Array | Uint16Array,
        dims: t.shape,
      });
    }
    this.entries.set(key, { feeds, arrays });
    if (this.entries.size > CACHE_SIZE) this.entries.delete(this.entries.keys().next().value!);
    return feeds;
  }
}
