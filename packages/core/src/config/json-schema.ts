/**
 * A JSON Schema (draft 2020-12) for `adapter_config.json`, generated from the field table so it cannot drift
 * from the validator.
 *
 * What a schema cannot say, and `parseConfig` still checks: `topk <= num_vectors`; an int field written as a
 * float (`4.0` is an "integer" to JSON Schema, a float to Python); duplicate keys; the size caps. And what a
 * schema allows that JSON files from Python can hold but JSON Schema cannot describe: `NaN`/`Infinity` numbers.
 * @module
 */
import type { FieldKind, FieldSpec } from './field-spec.js';
import { VBLORA_CONFIG_FIELDS, VBLORA_CONFIG_KEYS } from './fields.js';
import type { JsonObject, JsonValue } from './types.js';

const SAFE = Number.MAX_SAFE_INTEGER;

function kindSchema(kind: FieldKind): JsonObject {
  switch (kind.kind) {
    case 'int':
      return { type: 'integer', minimum: kind.min, maximum: SAFE };
    case 'float':
      return kind.max === undefined
        ? { type: 'number', minimum: kind.min }
        : { type: 'number', minimum: kind.min, maximum: kind.max };
    case 'bool':
      return { type: 'boolean' };
    case 'string-or-null':
      return { type: ['string', 'null'] };
    case 'enum':
      return { enum: kind.nullable ? [...kind.values, null] : [...kind.values] };
    case 'bias':
      return { type: 'string', anyOf: [{ enum: ['none', 'all'] }, { pattern: '_only$' }] };
    case 'names': {
      const list: JsonObject = { type: 'array', items: { type: 'string' } };
      return kind.allowString
        ? { anyOf: [list, { type: 'string' }, { type: 'null' }] }
        : { anyOf: [list, { type: 'null' }] };
    }
    case 'layer-indices': {
      const index: JsonObject = { type: 'integer', minimum: -SAFE, maximum: SAFE };
      return { anyOf: [index, { type: 'array', items: index }, { type: 'null' }] };
    }
    case 'object-or-null':
      return { type: ['object', 'null'] };
  }
}

function fieldSchema(spec: FieldSpec<unknown>): JsonObject {
  return { description: spec.description, ...kindSchema(spec.kind), default: spec.default as JsonValue };
}

/**
 * JSON Schema (draft 2020-12) of `adapter_config.json` for VB-LoRA, generated from the validator's field table.
 * Only `peft_type` is required (PEFT fills every other key with its default); unknown keys are allowed because
 * PEFT ignores them with a warning.
 */
export function vbloraConfigJsonSchema(): JsonObject {
  const properties: JsonObject = {};
  for (const key of VBLORA_CONFIG_KEYS) properties[key] = fieldSchema(VBLORA_CONFIG_FIELDS[key]);
  // PEFT's __post_init__ rule: a truthy layers_pattern (non-empty string or list) needs layers_to_transform.
  const layersRule: JsonObject = {
    if: {
      required: ['layers_pattern'],
      properties: {
        layers_pattern: {
          anyOf: [
            { type: 'string', minLength: 1 },
            { type: 'array', minItems: 1 },
          ],
        },
      },
    },
    then: { required: ['layers_to_transform'], properties: { layers_to_transform: { not: { type: 'null' } } } },
  };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'VB-LoRA adapter_config.json (Hugging Face PEFT)',
    description:
      'Configuration of a PEFT VB-LoRA adapter. Not expressible here but checked by parseConfig: ' +
      'topk <= num_vectors, int fields written without a fraction, unique keys.',
    type: 'object',
    required: ['peft_type'],
    properties,
    additionalProperties: true,
    allOf: [layersRule],
  };
}
