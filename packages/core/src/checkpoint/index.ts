export * from './adapter-keys.js';
export * from './adapter-read.js';
export * from './adapter-write.js';
export * from './non-finite.js';
export * from './safetensors-read.js';
export * from './safetensors-write.js';
