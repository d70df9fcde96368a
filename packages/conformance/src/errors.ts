/**
 * Typed errors of `@vblora/conformance`. A failing case is a report entry, never an exception; these are for
 * fixtures that cannot be loaded.
 * @module
 */
import { VBLoRAError } from '@vblora/core';

/**
 * A golden fixture file is missing, cannot be fetched, or does not match `MANIFEST.sha256`; `rule` says which
 * (`missing`, `fetch`, `sha256`, `manifest`), `file` names the file (relative to `peft-golden/`).
 */
export class FixtureError extends VBLoRAError {
  /** Stable rule id: `missing`, `fetch`, `sha256` or `manifest`. */
  readonly rule: string;
  /** The file concerned, relative to `peft-golden/`. */
  readonly file: string;
  constructor(message: string, rule: string, file: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FixtureError';
    this.rule = rule;
    this.file = file;
  }
}
