export * from './dtype.js';
export * from './host-tensor.js';
export * from './half.js';
export * from './convert.js';
