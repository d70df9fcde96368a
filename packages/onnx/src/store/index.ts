/**
 * `AdapterStore`: many adapters kept in top-k form, composed on demand into an LRU of reused buffers, leased per
 * batch.
 * @module
 */
export { AdapterStore } from './adapter-store.js';
export type { AdapterStoreOptions, AdapterLease, AdapterStoreStats } from './store-types.js';
