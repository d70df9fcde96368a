import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VBLoRAError } from '../../src/errors.js';
import { VBLORA_CONFIG_FIELDS, parseConfig, vbloraConfigJsonSchema } from '../../src/config/index.js';
import { GOLDEN_CONFIGS } from './helpers/golden-configs.js';
import { schemaAccepts } from './helpers/mini-schema.js';

// Verdicts are booleans compared exactly (tolerance: none).
const schema = vbloraConfigJsonSchema();

describe('vbloraConfigJsonSchema', () => {
  it('matches the committed snapshot', async () => {
    await expect(`${JSON.stringify(schema, null, 2)}\n`).toMatchFileSnapshot('./__snapshots__/config.schema.json');
  });

  it('has one property per field of the table, and declares draft 2020-12', () => {
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(Object.keys(schema['properties'] as object).sort()).toEqual(Object.keys(VBLORA_CONFIG_FIELDS).sort());
  });

  it.each(GOLDEN_CONFIGS.map((g) => [g.id, g.text] as const))('accepts golden %s', (_id, text) => {
    expect(schemaAccepts(schema, JSON.parse(text))).toBe(true);
  });

  it('rejects what PEFT rejects: missing peft_type, bad task_type, bad bias, layers_pattern alone', () => {
    const g = JSON.parse(GOLDEN_CONFIGS[0]?.text ?? '{}') as Record<string, unknown>;
    const { peft_type: _p, ...noType } = g;
    expect(schemaAccepts(schema, noType)).toBe(false);
    expect(schemaAccepts(schema, { ...g, task_type: 'FOO' })).toBe(false);
    expect(schemaAccepts(schema, { ...g, bias: 'lora' })).toBe(false);
    expect(schemaAccepts(schema, { ...g, layers_pattern: 'layers', layers_to_transform: null })).toBe(false);
  });

  // Differential: the schema and parseConfig must agree on objects mixing valid and invalid field values, except
  // for the one rule a schema cannot state (topk <= num_vectors).
  // Each field: [valid values (type-correct for the schema)], [invalid values].
  const MISSING = Symbol('missing');
  const pools: Record<string, [unknown[], unknown[]]> = {
    auto_mapping: [
      [null, {}, { base_model_class: 'X' }],
      [[], 'x'],
    ],
    base_model_name_or_path: [[null, 'a/b'], [1]],
    bias: [
      ['none', 'all', 'vblora_only', 'x_only'],
      ['lora', 3],
    ],
    exclude_modules: [
      [null, 'regex', [], ['a']],
      [[1], 5],
    ],
    fan_in_fan_out: [
      [true, false],
      ['true', null],
    ],
    inference_mode: [[true, false], [0]],
    init_logits_std: [
      [0.1, 0, 2],
      [-0.1, Infinity, NaN, '0.1'],
    ],
    init_vector_bank_bound: [
      [0.02, 0],
      [-1, null],
    ],
    layers_pattern: [[null, '', [], 'layers', ['h']], [[3]]],
    layers_to_transform: [
      [null, 0, 1, [0, 2], [], -1],
      [[1.5], '1'],
    ],
    modules_to_save: [[null, [], ['head']], ['head']],
    num_vectors: [
      [2, 64, 300],
      [0, 2.5],
    ],
    peft_type: [['VBLORA'], ['LORA', null]],
    peft_version: [[null, '0.13.0'], [1]],
    r: [
      [1, 4],
      [0, -2, 4.5, '4'],
    ],
    revision: [[null, 'main'], [false]],
    save_only_topk_weights: [[false, true], [1]],
    target_modules: [[null, 'q.*', ['q', 'v'], []], [[null]]],
    task_type: [
      [null, 'CAUSAL_LM', 'SEQ_CLS'],
      ['FOO', 1],
    ],
    topk: [
      [1, 2, 3, 100],
      [0, 1.5],
    ],
    vblora_dropout: [
      [0, 0.1, 1],
      [-0.5, 1.5, NaN, Infinity],
    ],
    vector_length: [
      [16, 256],
      [0, -16, 'x'],
    ],
  };
  const arbitraryConfig = fc
    .record(
      Object.fromEntries(
        Object.entries(pools).map(([k, [valid, invalid]]) => [
          k,
          fc.oneof(
            { arbitrary: fc.constantFrom(MISSING, ...valid), weight: 30 },
            { arbitrary: fc.constantFrom(...invalid), weight: 1 },
          ),
        ]),
      ),
    )
    .map((rec) => Object.fromEntries(Object.entries(rec).filter(([, v]) => v !== MISSING)));

  it('agrees with parseConfig on seeded mixes of valid and invalid fields', () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(arbitraryConfig, (obj) => {
        let parsed = true;
        let message = '';
        try {
          parseConfig(obj);
        } catch (err) {
          expect(err).toBeInstanceOf(VBLoRAError);
          parsed = false;
          message = (err as Error).message;
        }
        const bySchema = schemaAccepts(schema, obj);
        if (parsed) accepted++;
        else rejected++;
        if (bySchema && !parsed) expect(message).toMatch(/^topk \d+ exceeds num_vectors \d+/);
        else expect(bySchema).toBe(parsed);
      }),
      { seed: 2039, numRuns: 3000 },
    );
    // The generator must reach both verdicts, or the agreement is vacuous.
    expect(accepted).toBeGreaterThan(300);
    expect(rejected).toBeGreaterThan(300);
  });
});
