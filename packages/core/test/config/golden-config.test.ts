import { describe, expect, it } from 'vitest';
import {
  parseConfig,
  serializeConfig,
  toSavedConfig,
  createConfig,
  VBLORA_CONFIG_KEYS,
} from '../../src/config/index.js';
import { GOLDEN_CONFIGS } from './helpers/golden-configs.js';

// Test of record: PEFT's own files re-serialise byte for byte (tolerance: none, string equality).
describe.each(GOLDEN_CONFIGS.map((g) => [g.id, g] as const))('golden %s', (_id, g) => {
  it('serializeConfig(parseConfig(text).config) reproduces the file', () => {
    const { config, warnings, unknownKeys } = parseConfig(g.text);
    expect(warnings).toEqual([]);
    expect(Object.keys(unknownKeys)).toEqual([]);
    expect(serializeConfig(config)).toBe(g.text);
  });

  it('reads UTF-8 bytes the same as text', () => {
    expect(serializeConfig(parseConfig(g.bytes).config)).toBe(g.text);
  });

  it('reproduces the file from a JSON.parse object and from createConfig (float fields default to floats)', () => {
    const obj = JSON.parse(g.text) as Record<string, unknown>;
    expect(serializeConfig(parseConfig(obj).config)).toBe(g.text);
    expect(serializeConfig(createConfig(obj))).toBe(g.text);
  });

  it('has exactly the 22 keys of SPEC §1.4, and toSavedConfig leaves a PEFT-saved file unchanged', () => {
    expect(Object.keys(JSON.parse(g.text) as object)).toEqual([...VBLORA_CONFIG_KEYS]);
    const { config } = parseConfig(g.text);
    expect(config.save_only_topk_weights).toBe(g.flavour === 'adapter_topk');
    expect(serializeConfig(toSavedConfig(config))).toBe(g.text);
  });
});

describe('files from older PEFT versions', () => {
  const base = GOLDEN_CONFIGS[0];
  if (base === undefined) throw new Error('no golden configs');

  it('load without peft_version and exclude_modules, taking the defaults (null)', () => {
    const obj = JSON.parse(base.text) as Record<string, unknown>;
    delete obj['peft_version'];
    delete obj['exclude_modules'];
    const { config, warnings } = parseConfig(JSON.stringify(obj, null, 2));
    expect(warnings).toEqual([]);
    expect(config.peft_version).toBeNull();
    expect(config.exclude_modules).toBeNull();
    // Re-serialising writes all 22 keys, as PEFT's save does.
    const again = serializeConfig(config);
    expect(again.split('\n').filter((l) => /^ {2}"/.test(l))).toHaveLength(22);
    expect(again).toContain('"peft_version": null');
  });
});
