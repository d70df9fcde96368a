import { describe, expect, it } from 'vitest';
import { ConfigError, createBackend, referenceBackend } from '@vblora/core';

describe('createBackend (@vblora/core)', () => {
  it('gives the reference backend by default and the cpu backend on request', () => {
    expect(createBackend()).toBe(referenceBackend);
    expect(createBackend({ backend: 'reference' })).toBe(referenceBackend);
    expect(createBackend({ backend: 'cpu' }).name).toBe('cpu');
  });

  it('refuses unknown keys and values with ConfigError naming the key', () => {
    expect(() => createBackend({ backnd: 'cpu' })).toThrow(ConfigError);
    expect(() => createBackend({ backnd: 'cpu' })).toThrow(/unknown option "backnd"; options: backend/);
    expect(() => createBackend({ backend: 'gpu' })).toThrow(/option backend must be reference or cpu, got "gpu"/);
  });
});
