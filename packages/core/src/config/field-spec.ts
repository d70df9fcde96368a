/**
 * The shape of one row of the config field table: the single description of a field that drives the runtime
 * validator, the defaults and the generated JSON Schema.
 * @module
 */
/** What values a field accepts; each kind has one checker (`check-field.ts`) and one schema form (`json-schema.ts`). */
export type FieldKind =
  /** A Python int in `[min, 2^53 - 1]`. */
  | { readonly kind: 'int'; readonly min: number }
  /** A Python float, finite, in `[min, max]`. */
  | { readonly kind: 'float'; readonly min: number; readonly max?: number }
  /** `true` or `false`. */
  | { readonly kind: 'bool' }
  /** A string or null. */
  | { readonly kind: 'string-or-null' }
  /** One of a fixed list of strings (or null when `nullable`). */
  | { readonly kind: 'enum'; readonly values: readonly string[]; readonly nullable: boolean }
  /** `"none"`, `"all"` or any string ending in `"_only"`. */
  | { readonly kind: 'bias' }
  /** A list of strings, or (when `allowString`) a single string; or null. */
  | { readonly kind: 'names'; readonly allowString: boolean }
  /** An int or a list of ints (layer indices), or null. */
  | { readonly kind: 'layer-indices' }
  /** A JSON object with any content, or null. */
  | { readonly kind: 'object-or-null' };

/** One field of `adapter_config.json`: its kind, PEFT's default and a one-line description. */
export interface FieldSpec<T> {
  readonly kind: FieldKind;
  /** PEFT's dataclass default, used when a file lacks the key. */
  readonly default: T;
  /** Python type as PEFT declares it (documentation; `float` also decides the JSON number form). */
  readonly python: string;
  /** One sentence for the JSON Schema and the docs. */
  readonly description: string;
}
