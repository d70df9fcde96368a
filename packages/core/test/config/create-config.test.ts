import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { createConfig, parseConfig, serializeConfig, toSavedConfig } from '../../src/config/index.js';

// Defaults come from SPEC §1.1's table; comparisons are exact (tolerance: none).
describe('createConfig', () => {
  it("fills PEFT's dataclass defaults", () => {
    expect(createConfig()).toEqual({
      auto_mapping: null,
      base_model_name_or_path: null,
      bias: 'none',
      exclude_modules: null,
      fan_in_fan_out: false,
      inference_mode: false,
      init_logits_std: 0.1,
      init_vector_bank_bound: 0.02,
      layers_pattern: null,
      layers_to_transform: null,
      modules_to_save: null,
      num_vectors: 256,
      peft_type: 'VBLORA',
      peft_version: null,
      r: 4,
      revision: null,
      save_only_topk_weights: false,
      target_modules: null,
      task_type: null,
      topk: 2,
      vblora_dropout: 0.0,
      vector_length: 256,
    });
  });

  it('writes float-typed fields as Python floats even when they are integral', () => {
    const text = serializeConfig(createConfig({ vblora_dropout: 0, init_logits_std: 1 }));
    expect(text).toContain('"vblora_dropout": 0.0,');
    expect(text).toContain('"init_logits_std": 1.0,');
    expect(text).toContain('"r": 4,');
    expect(text.endsWith('}')).toBe(true);
  });

  it('rejects unknown keys (a typo must not pass silently) and invalid values', () => {
    expect(() => createConfig({ rr: 4 } as never)).toThrow(ConfigError);
    expect(() => createConfig({ r: 0 })).toThrow('`r` 0 should be a positive integer value');
    expect(() => createConfig({ peft_type: 'LORA' as never })).toThrow(ConfigError);
  });

  it('does not alias the arrays it was given', () => {
    const targets = ['q_proj'];
    const config = createConfig({ target_modules: targets });
    targets.push('v_proj');
    expect(config.target_modules).toEqual(['q_proj']);
  });

  it('round-trips through serialize and parse', () => {
    const config = createConfig({ r: 8, target_modules: ['q_proj', 'v_proj'], task_type: 'CAUSAL_LM' });
    expect(parseConfig(serializeConfig(config)).config).toEqual(config);
  });
});

describe('toSavedConfig', () => {
  it('sets inference_mode and fills only what it is given', () => {
    const saved = toSavedConfig(createConfig(), {
      baseModelNameOrPath: 'org/model',
      autoMapping: { base_model_class: 'X', parent_library: 'y' },
    });
    expect(saved.inference_mode).toBe(true);
    expect(saved.base_model_name_or_path).toBe('org/model');
    expect(saved.auto_mapping).toEqual({ base_model_class: 'X', parent_library: 'y' });
    const untouched = toSavedConfig(createConfig({ task_type: 'SEQ_CLS', base_model_name_or_path: 'a' }), {
      baseModelNameOrPath: 'b',
      autoMapping: { base_model_class: 'X' },
    });
    expect(untouched.base_model_name_or_path).toBe('a');
    expect(untouched.auto_mapping).toBeNull();
  });

  it('serializeConfig checks a complete config: all 22 keys, nothing else', () => {
    const config = createConfig();
    const { r: _r, ...missing } = config;
    expect(() => serializeConfig(missing as never)).toThrow(ConfigError);
    expect(() => serializeConfig({ ...config, extra: 1 } as never)).toThrow(ConfigError);
    expect(() => serializeConfig({ ...config, r: -1 })).toThrow(ConfigError);
  });
});
