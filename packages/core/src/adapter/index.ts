export * from './vblora-adapter.js';
export * from './factor-source.js';
export * from './compose-adapter.js';
export * from './low-rank-pairs.js';
export * from './merge-state-dict.js';
export * from './convert-flavour.js';
export * from './describe-adapter.js';
export * from './bank-usage.js';
