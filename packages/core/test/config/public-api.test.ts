import { describe, expect, it } from 'vitest';
import * as core from '@vblora/core';

describe('config public API', () => {
  it('is exported from @vblora/core', () => {
    const names = [
      'parseConfig',
      'createConfig',
      'serializeConfig',
      'toSavedConfig',
      'checkLayerDims',
      'vbloraConfigJsonSchema',
    ];
    for (const name of names) expect(typeof (core as Record<string, unknown>)[name]).toBe('function');
    expect(Object.keys(core.VBLORA_CONFIG_FIELDS)).toHaveLength(22);
  });
});
