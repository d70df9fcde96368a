import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createConfig,
  parseConfig,
  serializeConfig,
  TASK_TYPES,
  type JsonObject,
  type VBLoRAConfig,
} from '../../src/config/index.js';

// Exact comparisons (tolerance: none): serialisation must be a fixed point, byte for byte.

/** Any UTF-16 string, lone surrogates included (Python strings can hold them; JSON escapes them). */
const anyString = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 10 })
  .map((u) => String.fromCharCode(...u));
const names = fc.oneof(fc.constant(null), anyString, fc.array(anyString, { maxLength: 4 }));
const noNegZero = (x: number): number => (x === 0 ? 0 : x);

const jsonLeaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  anyString,
  fc.maxSafeInteger().map(noNegZero),
  fc.double().map(noNegZero),
);
const autoMapping: fc.Arbitrary<JsonObject | null> = fc.oneof(
  fc.constant(null),
  fc
    .array(fc.tuple(anyString, fc.oneof(jsonLeaf, fc.array(jsonLeaf, { maxLength: 3 }))), { maxLength: 4 })
    .map((entries) => {
      const obj: JsonObject = {};
      for (const [k, value] of entries) {
        Object.defineProperty(obj, k, { value, enumerable: true, writable: true, configurable: true });
      }
      return obj;
    }),
);

const validConfig: fc.Arbitrary<VBLoRAConfig> = fc
  .record({
    auto_mapping: autoMapping,
    base_model_name_or_path: fc.option(anyString, { nil: null }),
    bias: fc.oneof(
      fc.constantFrom('none', 'all', 'vblora_only'),
      anyString.map((s) => `${s}_only` as const),
    ),
    exclude_modules: names,
    fan_in_fan_out: fc.boolean(),
    inference_mode: fc.boolean(),
    init_logits_std: fc.double({ min: 0, max: 1e300, noNaN: true }),
    init_vector_bank_bound: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 5 })),
    layers_pattern: fc.constant(null),
    layers_to_transform: fc.oneof(fc.constant(null), fc.nat(), fc.array(fc.nat(100), { maxLength: 4 })),
    modules_to_save: fc.option(fc.array(anyString, { maxLength: 3 }), { nil: null }),
    num_vectors: fc.integer({ min: 64, max: 40_000 }),
    peft_version: fc.option(anyString, { nil: null }),
    r: fc.integer({ min: 1, max: 1024 }),
    revision: fc.option(anyString, { nil: null }),
    save_only_topk_weights: fc.boolean(),
    target_modules: names,
    task_type: fc.constantFrom(null, ...TASK_TYPES),
    topk: fc.integer({ min: 1, max: 64 }),
    vblora_dropout: fc.double({ min: 0, max: 1, noNaN: true }),
    vector_length: fc.integer({ min: 1, max: 8192 }),
  })
  .chain((c) =>
    // layers_pattern needs layers_to_transform (PEFT's rule), so only pair it with a non-null one.
    c.layers_to_transform === null ? fc.constant(c) : names.map((layers_pattern) => ({ ...c, layers_pattern })),
  )
  .map((c) => createConfig(c));

describe('serializeConfig on random valid configs', () => {
  it('serialize -> parse -> serialize is identical, and parse gives back the config', () => {
    fc.assert(
      fc.property(validConfig, (config) => {
        const text = serializeConfig(config);
        const back = parseConfig(text);
        expect(back.warnings.filter((w) => !w.includes('more than once'))).toEqual([]);
        expect(serializeConfig(back.config)).toBe(text);
        expect(back.config).toEqual(config);
      }),
      { seed: 424242, numRuns: 1500 },
    );
  });

  it('writes only ASCII, sorted top-level keys, two-space indents and no trailing newline', () => {
    fc.assert(
      fc.property(validConfig, (config) => {
        const text = serializeConfig(config);
        expect(/^[\x20-\x7e\n]*$/.test(text)).toBe(true);
        expect(text.endsWith('\n')).toBe(false);
        const top = text
          .split('\n')
          .filter((l) => /^ {2}"/.test(l))
          .map((l) => JSON.parse(l.slice(2).split('": ')[0] + '"') as string);
        expect(top).toEqual([...top].sort());
        expect(top).toHaveLength(22);
      }),
      { seed: 99, numRuns: 300 },
    );
  });
});
