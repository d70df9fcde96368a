import { describe, expect, it } from 'vitest';
import { ConfigError, createBackend, referenceBackend } from '@vblora/core';

describe('createBackend (@vblora/core)', () => {
  it('gives the reference backend, by default and on request', () => {
    expect(createBackend()).toBe(referenceBackend);
    expect(createBackend({ backend: 'reference' })).toBe(referenceBackend);
  });

  it('refuses unknown keys and values with ConfigError naming the key (the cpu backend is @vblora/cpu now)', () => {
    expect(() => createBackend({ backnd: 'cpu' })).toThrow(ConfigError);
    expect(() => createBackend({ backnd: 'cpu' })).toThrow(/unknown option "backnd"; options: backend/);
    expect(() => createBackend({ backend: 'cpu' })).toThrow(/option backend must be reference, got "cpu"/);
  });
});
