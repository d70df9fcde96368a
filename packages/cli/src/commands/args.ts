import type { VBLoRAAdapter } from '@vblora/core';
import { UsageError } from '../errors.js';

/** The single positional argument a command needs, or a usage error naming it. */
export function onePositional(args: readonly string[], what: string, command: string): string {
  if (args.length === 0) throw new UsageError(`${command}: missing ${what}`);
  if (args.length > 1) throw new UsageError(`${command}: unexpected argument "${args[1]}"`);
  return args[0]!;
}

/** A required option value, or a usage error naming the option. */
export function requiredOption(value: string | undefined, option: string, command: string): string {
  if (value === undefined || value === '') throw new UsageError(`${command}: missing ${option}`);
  return value;
}

/** "1 module", "12 modules": an adapter's module count for messages. */
export function modules(adapter: VBLoRAAdapter): string {
  const n = adapter.modules.size;
  return `${n} module${n === 1 ? '' : 's'}`;
}
