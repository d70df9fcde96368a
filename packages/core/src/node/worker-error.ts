/**
 * Errors crossing a worker thread boundary: structured cloning keeps only an Error's message, so a worker sends
 * the class name and fields, and the pool rebuilds the same typed error on the calling thread.
 * @module
 */
import { AdapterError, NumericalError, ResourceLimitError, ShapeError, VBLoRAError } from '../errors.js';

/** The parts of an error a worker posts back. */
export interface WorkerErrorInfo {
  readonly name: string;
  readonly message: string;
  /** `where` (ShapeError, NumericalError), `module` (AdapterError) or `limit` (ResourceLimitError). */
  readonly detail?: string;
}

/** What a worker posts for a thrown value. */
export function describeError(err: unknown): WorkerErrorInfo {
  const e = err instanceof Error ? err : new Error(String(err));
  const fields = e as Error & { where?: string; module?: string; limit?: string };
  const detail = fields.where ?? fields.module ?? fields.limit;
  return { name: e.name, message: e.message, ...(detail === undefined ? {} : { detail }) };
}

/** The typed error a worker reported (a VBLoRAError for anything not rebuilt by class). */
export function rebuildError(info: WorkerErrorInfo): VBLoRAError {
  switch (info.name) {
    case 'ShapeError':
      return new ShapeError(info.message, info.detail);
    case 'NumericalError':
      return new NumericalError(info.message, info.detail);
    case 'AdapterError':
      return new AdapterError(info.message, info.detail);
    case 'ResourceLimitError':
      return new ResourceLimitError(info.message, info.detail ?? 'worker');
    default:
      return new VBLoRAError(`${info.name}: ${info.message}`);
  }
}
