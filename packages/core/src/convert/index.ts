export { toLoraAdapter, toLoraMemoryBytes, type LoraCheckpoint, type ToLoraOptions } from './to-lora.js';
export { loraToFiles, type LoraFileContents } from './lora-files.js';
export { serializeLoraConfig } from './lora-config.js';
