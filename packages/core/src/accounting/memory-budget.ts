/**
 * The memory budget: every buffer whose size a file decides (composed factors, deltas, merged weights, output
 * files built in memory) is checked against it before it is allocated, so a tiny file that declares a huge
 * module fails at once with a typed error instead of exhausting the machine.
 * @module
 */
import { ResourceLimitError } from '../errors.js';

/**
 * Default budget: 4 GiB. Enough for every adapter and for merging any single weight of a 70B model; composing
 * dense deltas of a whole 7B model (27 GB of float32) needs a larger, explicit budget.
 */
export const DEFAULT_MAX_MEMORY_BYTES = 4 * 2 ** 30;

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * Throws a {@link ResourceLimitError} (`limit` = `maxMemory`) when `bytes` — what `what` would allocate — exceed
 * `budget`. Call it with the full size before allocating anything of that size.
 */
export function checkMemoryBudget(bytes: number, what: string, budget: number = DEFAULT_MAX_MEMORY_BYTES): void {
  if (!(bytes <= budget)) {
    throw new ResourceLimitError(
      `${what} needs ${mib(bytes)}, over the memory budget of ${mib(budget)}; raise it (--max-memory) if this is intended`,
      'maxMemory',
    );
  }
}
