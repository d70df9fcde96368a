/**
 * `adapter_config.json`: the type, the validator, PEFT-exact serialisation and the JSON Schema.
 * @module
 */
export { TASK_TYPES } from './types.js';
export type { JsonObject, JsonValue, TaskType, VBLoRABias, VBLoRAConfig, VBLoRAConfigKey } from './types.js';
export type { FieldKind, FieldSpec } from './field-spec.js';
export { VBLORA_CONFIG_FIELDS, VBLORA_CONFIG_KEYS, isConfigKey } from './fields.js';
export type { FieldTable } from './fields.js';
export { DEFAULT_CONFIG_LIMITS } from './limits.js';
export type { ConfigLimits } from './limits.js';
export { parseConfig } from './parse-config.js';
export type { ParseConfigOptions, ParsedConfig } from './parse-config.js';
export { createConfig } from './create-config.js';
export { serializeConfig, toSavedConfig } from './serialize-config.js';
export type { SavedConfigOptions } from './serialize-config.js';
export { checkLayerDims } from './layer-dims.js';
export { vbloraConfigJsonSchema } from './json-schema.js';
