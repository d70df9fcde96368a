/**
 * Errors of the `vblora` command itself (bad arguments); library errors come from `@vblora/core`.
 * @module
 */
import { VBLoRAError } from '@vblora/core';

/** The command line is wrong: unknown command or option, missing argument. Exit status 2. */
export class UsageError extends VBLoRAError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
  }
}
