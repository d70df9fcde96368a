import { describe, expect, it } from 'vitest';
import { ConfigError, ResourceLimitError, VBLoRAError } from '../../src/errors.js';
import { parseConfig, serializeConfig, type VBLoRAConfig } from '../../src/config/index.js';
import { GOLDEN_CONFIGS } from './helpers/golden-configs.js';

// All checks compare strings or values exactly (tolerance: none).

const golden = GOLDEN_CONFIGS[0];
if (golden === undefined) throw new Error('no golden configs');
const GOLDEN_OBJECT = JSON.parse(golden.text) as Record<string, unknown>;

/** The golden config with some keys replaced (undefined removes a key), as JSON text. */
function withFields(fields: Record<string, unknown>): string {
  const obj: Record<string, unknown> = { ...GOLDEN_OBJECT };
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) delete obj[k];
    else obj[k] = v;
  }
  return JSON.stringify(obj, null, 2);
}

function configError(input: unknown): ConfigError {
  try {
    parseConfig(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('parseConfig accepted the input');
}

describe('PEFT messages (SPEC §1.2, §1.3, §2.2)', () => {
  it('rejects an unknown task_type with PEFT text', () => {
    const err = configError(withFields({ task_type: 'FOO' }));
    expect(err.message).toBe(
      "Invalid task type: 'FOO'. Must be one of the following task types: SEQ_CLS, SEQ_2_SEQ_LM, CAUSAL_LM, " +
        'TOKEN_CLS, QUESTION_ANS, FEATURE_EXTRACTION.',
    );
    expect(err.field).toBe('task_type');
  });

  it('accepts every PEFT task type', () => {
    for (const t of ['SEQ_CLS', 'SEQ_2_SEQ_LM', 'CAUSAL_LM', 'TOKEN_CLS', 'QUESTION_ANS', 'FEATURE_EXTRACTION']) {
      expect(parseConfig(withFields({ task_type: t })).config.task_type).toBe(t);
    }
  });

  it('needs layers_to_transform with layers_pattern, with the trailing space', () => {
    const err = configError(withFields({ layers_pattern: 'layers', layers_to_transform: null }));
    expect(err.message).toBe('When `layers_pattern` is specified, `layers_to_transform` must also be specified. ');
    expect(err.field).toBe('layers_pattern');
    // PR #3425: the check is `is None`, so index 0 is fine; an empty pattern is falsy in Python.
    const zero = parseConfig(withFields({ layers_pattern: 'layers', layers_to_transform: 0 }));
    expect(zero.config.layers_to_transform).toBe(0);
    expect(parseConfig(withFields({ layers_pattern: '', layers_to_transform: null })).config.layers_pattern).toBe('');
    expect(parseConfig(withFields({ layers_pattern: [], layers_to_transform: null })).config.layers_pattern).toEqual(
      [],
    );
    expect(configError(withFields({ layers_pattern: ['h'], layers_to_transform: null })).field).toBe('layers_pattern');
  });

  it.each([
    ['r', 0, '`r` 0 should be a positive integer value'],
    ['r', -3, '`r` -3 should be a positive integer value'],
    ['topk', 0, '`topk` 0 should be a positive integer value'],
    ['topk', -1, '`topk` -1 should be a positive integer value'],
  ])('rejects %s = %s with PEFT text', (field, value, message) => {
    const err = configError(withFields({ [field]: value }));
    expect(err.message).toBe(message);
    expect(err.field).toBe(field);
  });

  it('rejects a bias PEFT does not implement with its NotImplementedError text', () => {
    const err = configError(withFields({ bias: 'lora' }));
    expect(err.message.startsWith('Requested bias: lora, is not implemented.')).toBe(true);
    expect(err.field).toBe('bias');
    for (const ok of ['none', 'all', 'vblora_only', 'lora_only']) {
      expect(parseConfig(withFields({ bias: ok })).config.bias).toBe(ok);
    }
  });

  it('drops runtime_config with a warning and sets unknown keys aside with the warning', () => {
    const text = golden.text.replace(
      '{\n',
      '{\n  "runtime_config": {"x": 1},\n  "z_new_option": true,\n  "a_new_option": [1],\n',
    );
    const { config, warnings, unknownKeys } = parseConfig(text);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('`runtime_config`');
    // SPEC §1.4 quotes: "Unexpected keyword arguments [...] for class VBLoRAConfig, these are ignored ..."
    expect(
      warnings[1]?.startsWith(
        "Unexpected keyword arguments ['a_new_option', 'z_new_option'] for class VBLoRAConfig, these are ignored",
      ),
    ).toBe(true);
    expect(unknownKeys).toEqual({ z_new_option: true, a_new_option: [1] });
    expect(Object.keys(unknownKeys)).not.toContain('runtime_config');
    // PEFT's save writes only the dataclass fields, so the file comes back without them.
    expect(serializeConfig(config)).toBe(golden.text);
  });
});

describe('peft_type', () => {
  it('is required', () => {
    const err = configError(withFields({ peft_type: undefined }));
    expect(err.field).toBe('peft_type');
    expect(err.message).toContain('"peft_type"');
  });

  it.each([['LORA'], ['vblora'], [null], [3]])('rejects %s', (value) => {
    const err = configError(withFields({ peft_type: value }));
    expect(err.field).toBe('peft_type');
    expect(err.message).toContain('"VBLORA"');
  });
});

describe('type and range checks name the field, the value and what is valid', () => {
  it.each<[keyof VBLoRAConfig, unknown, string]>([
    ['r', '4', 'a positive integer'],
    ['r', 4.5, 'a positive integer'],
    ['num_vectors', 0, 'a positive integer'],
    ['vector_length', true, 'a positive integer'],
    ['topk', null, 'a positive integer'],
    ['vblora_dropout', -0.1, 'from 0 to 1'],
    ['vblora_dropout', 1.5, 'from 0 to 1'],
    ['vblora_dropout', '0.1', 'from 0 to 1'],
    ['init_logits_std', -1, '>= 0'],
    ['init_vector_bank_bound', 'x', '>= 0'],
    ['fan_in_fan_out', 'true', 'true or false'],
    ['inference_mode', 1, 'true or false'],
    ['save_only_topk_weights', null, 'true or false'],
    ['bias', 3, '"none", "all"'],
    ['target_modules', 5, 'a list of strings'],
    ['exclude_modules', { a: 1 }, 'a list of strings'],
    ['modules_to_save', 'head', 'a list of strings or null'],
    ['layers_pattern', 1, 'a list of strings'],
    ['layers_to_transform', '1', 'an integer'],
    ['layers_to_transform', 1.5, 'an integer'],
    ['auto_mapping', [1], 'an object or null'],
    ['base_model_name_or_path', 1, 'a string or null'],
    ['revision', false, 'a string or null'],
    ['peft_version', [], 'a string or null'],
  ])('%s = %j', (field, value, valid) => {
    const err = configError(withFields({ [field]: value }));
    expect(err.field).toBe(field);
    expect(err.message.startsWith(`${field} must be `)).toBe(true);
    expect(err.message).toContain(valid);
    expect(err.message).toContain('got ');
  });

  it('names the list element that is wrong', () => {
    expect(configError(withFields({ target_modules: ['q', 7] })).field).toBe('target_modules[1]');
    expect(configError(withFields({ layers_to_transform: [0, 'a'] })).field).toBe('layers_to_transform[1]');
  });

  it('rejects NaN dropout (Python json reads NaN) and non-finite init values', () => {
    expect(configError(golden.text.replace('"vblora_dropout": 0.0', '"vblora_dropout": NaN')).field).toBe(
      'vblora_dropout',
    );
    expect(configError(golden.text.replace('"init_logits_std": 0.1', '"init_logits_std": Infinity')).field).toBe(
      'init_logits_std',
    );
  });

  it('rejects an int field written as a float, which PEFT would pass to torch as a float', () => {
    const err = configError(golden.text.replace('"r": 4', '"r": 4.0'));
    expect(err.field).toBe('r');
    expect(err.message).toContain('4.0 (a float)');
    expect(configError(golden.text.replace('"r": 4', '"r": 4e0')).field).toBe('r');
    expect(configError(withFields({ layers_to_transform: [1] }).replace('    1\n', '    1.0\n')).field).toBe(
      'layers_to_transform[0]',
    );
  });

  it('rejects topk > num_vectors eagerly', () => {
    const err = configError(withFields({ topk: 65, num_vectors: 64 }));
    expect(err.field).toBe('topk');
    expect(parseConfig(withFields({ topk: 64, num_vectors: 64 })).config.topk).toBe(64);
  });

  it('rejects a top level that is not an object', () => {
    for (const input of ['[]', '1', '"x"', 'null', [], 5, null, undefined, () => 1]) {
      expect(() => parseConfig(input)).toThrow(ConfigError);
    }
  });

  it('rejects non-JSON objects and accessors in an already-parsed object', () => {
    expect(() => parseConfig({ ...GOLDEN_OBJECT, auto_mapping: new Map() })).toThrow(ConfigError);
    expect(() => parseConfig({ ...GOLDEN_OBJECT, r: 4n })).toThrow(ConfigError);
    const getter = Object.defineProperty({ ...GOLDEN_OBJECT }, 'r', { get: () => 4, enumerable: true });
    expect(() => parseConfig(getter)).toThrow(ConfigError);
    const trap = new Proxy(
      { ...GOLDEN_OBJECT },
      {
        ownKeys() {
          throw new TypeError('trap');
        },
      },
    );
    expect(() => parseConfig(trap)).toThrow(ConfigError);
  });
});

describe('numbers keep their Python type', () => {
  it('writes back `0` for a dropout stored as an int and `0.0` for one stored as a float', () => {
    const asInt = golden.text.replace('"vblora_dropout": 0.0', '"vblora_dropout": 0');
    expect(serializeConfig(parseConfig(asInt).config)).toBe(asInt);
    const exotic = golden.text
      .replace('"init_logits_std": 0.1', '"init_logits_std": 1E2')
      .replace('"vblora_dropout": 0.0', '"vblora_dropout": -0.0');
    expect(serializeConfig(parseConfig(exotic).config)).toBe(
      golden.text
        .replace('"init_logits_std": 0.1', '"init_logits_std": 100.0')
        .replace('"vblora_dropout": 0.0', '"vblora_dropout": -0.0'),
    );
  });

  it('keeps ints and floats inside auto_mapping apart', () => {
    const text = golden.text.replace(
      '"parent_library": "toy_models"',
      '"parent_library": "toy_models",\n    "x": [1, 1.0, 1e+16, -0]',
    );
    const out = serializeConfig(parseConfig(text).config);
    expect(out).toContain('"x": [\n      1,\n      1.0,\n      1e+16,\n      0\n    ]');
  });

  it('uses the declared type when a spread copy lost the source kinds', () => {
    const asInt = golden.text.replace('"vblora_dropout": 0.0', '"vblora_dropout": 0');
    const { config } = parseConfig(asInt);
    expect(serializeConfig({ ...config })).toBe(golden.text);
  });
});

describe('prototype safety', () => {
  it('keeps __proto__ and constructor keys as plain data', () => {
    const text = golden.text.replace(
      '{\n',
      '{\n  "__proto__": {"polluted": true},\n  "constructor": {"prototype": {"polluted": true}},\n',
    );
    const { config, unknownKeys, warnings } = parseConfig(text);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(config)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(unknownKeys)).toBe(Object.prototype);
    expect(Object.keys(unknownKeys).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(unknownKeys, '__proto__')?.value).toEqual({ polluted: true });
    expect(warnings[0]).toContain("['__proto__', 'constructor']");
    const nested = golden.text.replace(
      '"auto_mapping": {\n',
      '"auto_mapping": {\n    "__proto__": {\n      "polluted": 1\n    },\n',
    );
    const parsed = parseConfig(nested).config.auto_mapping;
    expect(parsed === null ? [] : Object.keys(parsed)).toContain('__proto__');
    expect(serializeConfig(parseConfig(nested).config)).toBe(nested);
  });
});

describe('limits and malformed input', () => {
  it('caps the input length before parsing', () => {
    const big = `{"peft_type": "VBLORA", "pad": "${'x'.repeat(2_000_000)}"}`;
    expect(() => parseConfig(big)).toThrow(ResourceLimitError);
    expect(() => parseConfig(golden.text, { maxLength: 100 })).toThrow(ResourceLimitError);
    expect(() => parseConfig(golden.bytes, { maxLength: 100 })).toThrow(ResourceLimitError);
  });

  it('caps nesting depth in text and in objects (including cycles)', () => {
    const nest = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const deep = golden.text.replace('"auto_mapping": {', `"auto_mapping": {"deep": ${nest},`);
    expect(() => parseConfig(deep, { maxLength: 1 << 21 })).toThrow(ResourceLimitError);
    const cyclic: Record<string, unknown> = { ...GOLDEN_OBJECT };
    const loop: Record<string, unknown> = {};
    loop['self'] = loop;
    cyclic['auto_mapping'] = loop;
    expect(() => parseConfig(cyclic)).toThrow(ResourceLimitError);
  });

  it('caps the number of values, so a shared-reference object cannot blow up', () => {
    let node: unknown[] = [];
    for (let i = 0; i < 30; i++) node = [node, node];
    expect(() => parseConfig({ ...GOLDEN_OBJECT, auto_mapping: { node } })).toThrow(ResourceLimitError);
  });

  it('rejects bad options', () => {
    expect(() => parseConfig(golden.text, { maxDepth: 0 })).toThrow(ConfigError);
    expect(() => parseConfig(golden.text, { maxDepth: 5000 })).toThrow(ConfigError);
  });

  it('rejects a BOM, invalid UTF-8 and duplicate keys with a ConfigError', () => {
    expect(() => parseConfig(`\ufeff${golden.text}`)).toThrow(ConfigError);
    const bad = new Uint8Array([...golden.bytes.slice(0, 10), 0xff, ...golden.bytes.slice(10)]);
    expect(() => parseConfig(bad)).toThrow(ConfigError);
    const dup = golden.text.replace('"r": 4,', '"r": 4,\n  "r": 8,');
    const err = configError(dup);
    expect(err.field).toBe('r');
    expect(err.message).toContain('duplicate key "r"');
  });

  it('every failure is a VBLoRAError', () => {
    for (const input of ['', '{', '{"a":1,}', '[1,]', '01', 'nul', '{"peft_type":"VBLORA"} x', '"\\x"']) {
      expect(() => parseConfig(input)).toThrow(VBLoRAError);
    }
  });
});
