/**
 * A small seeded pseudo-random generator for dropout masks and random test cases: xoshiro128** 1.1
 * (Blackman & Vigna, https://prng.di.unimi.it/xoshiro128starstar.c), its 128-bit state filled from two outputs
 * of SplitMix64(seed). Same seed, same stream, on every platform; not for cryptography.
 * @module
 */
import { ConfigError } from '../errors.js';

/** A seeded random stream. */
export interface Rng {
  /** Next raw 32-bit output as an unsigned integer. */
  nextU32(): number;
  /** Uniform number in [0, 1): one 32-bit output times 2^-32. */
  uniform(): number;
  /** Standard normal number (mean 0, std 1) by Box–Muller; consumes exactly two 32-bit outputs. */
  normal(): number;
}

const MASK64 = (1n << 64n) - 1n;

/** SplitMix64 step (Steele, Lea, Flood): returns the next state and output. */
function splitMix64(state: bigint): { state: bigint; out: bigint } {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return { state: next, out: z ^ (z >> 31n) };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * Creates a generator from an integer seed (any safe integer; negative seeds are taken modulo 2^64).
 * State words are `[lo(o1), hi(o1), lo(o2), hi(o2)]` where `o1, o2` are the first SplitMix64 outputs.
 * @throws {ConfigError} when the seed is not a safe integer.
 */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed)) throw new ConfigError(`seed must be a safe integer, got ${seed}`, 'seed');
  const a = splitMix64(BigInt(seed) & MASK64);
  const b = splitMix64(a.state);
  const s = new Uint32Array([
    Number(a.out & 0xffffffffn),
    Number(a.out >> 32n),
    Number(b.out & 0xffffffffn),
    Number(b.out >> 32n),
  ]);
  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  };
  const uniform = (): number => nextU32() * 2 ** -32;
  const normal = (): number => {
    const u1 = 1 - uniform(); // (0, 1]: log stays finite
    const u2 = uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };
  return { nextU32, uniform, normal };
}
