/**
 * The lease `AdapterStore.acquire` returns: pinned composed entries for one batch.
 * @module
 */
import { AdapterError } from '@vblora/core';
import type { HotSwapInjectionInfo } from '../inject/injection-info.js';
import type { PreparedAdapter } from '../runtime/prepared-adapter.js';
import type { ComposedEntry } from './composed-entry.js';
import type { AdapterLease } from './store-types.js';

/** @internal */
export class StoreLease implements AdapterLease {
  readonly rows: readonly (string | null)[];
  readonly ids: readonly string[];
  private done = false;

  constructor(
    readonly info: HotSwapInjectionInfo,
    rows: readonly (string | null)[],
    private readonly entries: ReadonlyMap<string, ComposedEntry>,
    private readonly unpin: (entries: Iterable<ComposedEntry>) => void,
  ) {
    this.rows = Object.freeze([...rows]);
    this.ids = Object.freeze([...entries.keys()]);
  }

  get released(): boolean {
    return this.done;
  }

  prepared(id: string): PreparedAdapter {
    if (this.done) throw new AdapterError(`the lease of ${this.ids.join(', ') || 'no adapter'} was released`);
    const p = this.entries.get(id)?.prepared;
    if (p === undefined || p === null) {
      throw new AdapterError(
        `the lease holds no adapter ${JSON.stringify(id)} (it holds: ${this.ids.join(', ') || 'none'}); acquire it first`,
      );
    }
    return p;
  }

  release(): void {
    if (this.done) return;
    this.done = true;
    this.unpin(this.entries.values());
  }
}
