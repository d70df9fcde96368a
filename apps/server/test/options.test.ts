/**
 * Option defaults and checks of `resolveOptions` that need no model: ONNX Runtime's thread count.
 * (The tokens with one thread are checked against transformers.js alone at ONNX Runtime's default pool in
 * generate.test.ts.)
 */
import { ConfigError } from '@vblora/core';
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../src/index.js';

describe('resolveOptions: intraOpThreads', () => {
  it('is 1 by default and keeps 0 (ONNX Runtime decides) and larger counts', () => {
    expect(resolveOptions().intraOpThreads).toBe(1);
    expect(resolveOptions({ intraOpThreads: 0 }).intraOpThreads).toBe(0);
    expect(resolveOptions({ intraOpThreads: 8 }).intraOpThreads).toBe(8);
  });

  it.each([-1, 1.5, Number.NaN, 1025])('refuses %s with a ConfigError naming the option', (v) => {
    expect(() => resolveOptions({ intraOpThreads: v })).toThrow(ConfigError);
    expect(() => resolveOptions({ intraOpThreads: v })).toThrow(/intraOpThreads/);
  });
});
