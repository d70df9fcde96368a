import { totalmem } from 'node:os';
import { DEFAULT_MAX_MEMORY_BYTES } from '@vblora/core';
import { UsageError } from '../errors.js';

/** Units `--max-memory` accepts (case-insensitive): decimal KB/MB/GB/TB and binary KiB/MiB/GiB/TiB. */
const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

// Digits, an optional fraction, optional blanks, letters: disjoint classes, so matching is linear.
const SIZE = /^(\d+(?:\.\d+)?) ?([a-z]*)$/i;

/**
 * The command's default budget: `DEFAULT_MAX_MEMORY_BYTES` (4 GiB), or half the memory this process may use when
 * that is less (a small machine, or a container's cgroup limit), so that a request within the budget is one the
 * machine can actually serve instead of ending in a failed allocation.
 */
export function defaultMaxMemory(): number {
  const constrained = process.constrainedMemory?.() ?? 0; // 0 or undefined without a limit
  const usable = constrained > 0 ? Math.min(constrained, totalmem()) : totalmem();
  return Math.min(DEFAULT_MAX_MEMORY_BYTES, Math.floor(usable / 2));
}

/**
 * The `--max-memory SIZE` option in bytes: a number of bytes or a number with a unit (`8GiB`, `512MiB`, `2GB`);
 * absent, {@link defaultMaxMemory}.
 * @throws {UsageError} for anything else, zero included.
 */
export function maxMemoryOption(value: string | undefined, command: string): number {
  if (value === undefined) return defaultMaxMemory();
  const m = value.length <= 40 ? SIZE.exec(value) : null;
  const key = m?.[2]!.toLowerCase() ?? '-';
  const unit = Object.hasOwn(UNITS, key) ? UNITS[key] : undefined;
  const bytes = m === null || unit === undefined ? Number.NaN : Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new UsageError(
      `${command}: --max-memory takes a size such as 8GiB, 512MiB or 4000000000 (bytes; units KiB MiB GiB TiB, KB MB GB TB), got "${value}"`,
    );
  }
  return bytes;
}
