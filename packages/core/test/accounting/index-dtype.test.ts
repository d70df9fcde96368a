import { describe, expect, it } from 'vitest';
import { ConfigError, indexDtypeFor } from '@vblora/core';

describe('indexDtypeFor (SPEC §5.3)', () => {
  it('switches at 2^8, 2^15 and 2^31; 256 already gives int16', () => {
    const cases: [number, string][] = [
      [1, 'u8'],
      [255, 'u8'],
      [256, 'i16'],
      [300, 'i16'],
      [32767, 'i16'],
      [32768, 'i32'],
      [2 ** 31 - 1, 'i32'],
      [2 ** 31, 'i64'],
    ];
    for (const [nv, dtype] of cases) expect([nv, indexDtypeFor(nv)]).toEqual([nv, dtype]);
  });

  it('rejects a bank size that is not a positive integer', () => {
    for (const nv of [0, -1, 2.5, Number.NaN]) expect(() => indexDtypeFor(nv)).toThrow(ConfigError);
  });
});
