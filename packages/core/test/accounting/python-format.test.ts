import { describe, expect, it } from 'vitest';
import { ConfigError, formatPythonFixed, formatPythonGrouped } from '@vblora/core';

describe("Python's {:,d}", () => {
  it('groups thousands with commas, sign first', () => {
    const cases: [number | bigint, string][] = [
      [0, '0'],
      [999, '999'],
      [1000, '1,000'],
      [97952, '97,952'],
      [-1234567, '-1,234,567'],
      [12345678901234567890n, '12,345,678,901,234,567,890'],
    ];
    for (const [n, text] of cases) expect(formatPythonGrouped(n)).toBe(text);
  });

  it('refuses non-integers as Python does', () => {
    expect(() => formatPythonGrouped(1.5)).toThrow(ConfigError);
  });
});

describe("Python's {:.4f}", () => {
  it('rounds the exact binary value, ties to even (unlike toFixed)', () => {
    expect((0.03125).toFixed(4)).toBe('0.0313'); // why this function exists
    const cases: [number, number, string][] = [
      [0.03125, 4, '0.0312'],
      [0.09375, 4, '0.0938'],
      [2.5, 0, '2'],
      [3.5, 0, '4'],
      [0.1, 4, '0.1000'],
      [1.00005, 4, '1.0001'], // the double is just above 1.00005
      [2.675, 2, '2.67'], // the double is just below 2.675
      [(100 * 29696) / 97952, 4, '30.3169'],
      [-0, 4, '-0.0000'],
      [-0.00001, 4, '-0.0000'],
      [1e22, 4, '10000000000000000000000.0000'],
      [5e-324, 4, '0.0000'],
    ];
    for (const [x, digits, text] of cases) expect([x, formatPythonFixed(x, digits)]).toEqual([x, text]);
  });

  it('prints non-finite values as Python does', () => {
    expect([formatPythonFixed(Number.NaN, 4), formatPythonFixed(Infinity, 4), formatPythonFixed(-Infinity, 4)]).toEqual(
      ['nan', 'inf', '-inf'],
    );
  });
});
