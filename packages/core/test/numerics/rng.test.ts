import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { createRng } from '../../src/numerics/index.js';

describe('createRng (xoshiro128** seeded by SplitMix64)', () => {
  it('reproduces known outputs (computed independently in Python from the reference algorithms)', () => {
    const take = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 5 }, () => rng.nextU32());
    };
    expect(take(0)).toEqual([3737715805, 2584255861, 2876756834, 3286328325, 1553311962]);
    expect(take(42)).toEqual([1776835114, 4165204688, 17111135, 2317295270, 2792088233]);
    expect(take(-1)).toEqual([477689756, 2493998634, 555695776, 607808419, 61340979]);
  });

  it('uniform() lies in [0, 1) with mean 1/2 and variance 1/12 (5σ bounds over 20000 draws)', () => {
    const rng = createRng(7);
    const n = 20000;
    const xs = Array.from({ length: n }, () => rng.uniform());
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    expect(Math.abs(v - 1 / 12)).toBeLessThan(5 * Math.sqrt(1 / 180 / n)); // var of (U − 1/2)² is 1/180
  });

  it('normal() has mean 0 and variance 1 (5σ bounds over 20000 draws)', () => {
    const rng = createRng(11);
    const n = 20000;
    const xs = Array.from({ length: n }, () => rng.normal());
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(v - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(xs.every(Number.isFinite)).toBe(true);
  });

  it('rejects seeds that are not safe integers', () => {
    expect(() => createRng(1.5)).toThrow(ConfigError);
    expect(() => createRng(Number.NaN)).toThrow(/seed must be a safe integer/);
  });
});
