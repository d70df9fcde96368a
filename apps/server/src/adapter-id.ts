/**
 * Adapter ids: the name of a sub-folder of the adapters folder, checked before it is joined to any path.
 * @module
 */
import { HttpError } from './errors.js';

/** Letters, digits, `.`, `_`, `-`; starts with a letter or digit; at most 128 characters (so never `.` or `..`). */
export const ADAPTER_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';
const ID = new RegExp(ADAPTER_ID_PATTERN);

/** True when `id` is a valid adapter id. */
export function isAdapterId(id: string): boolean {
  return ID.test(id);
}

/**
 * Checks an adapter id.
 * @throws {HttpError} 400 `invalid_adapter_id`.
 */
export function checkAdapterId(id: string): string {
  if (!isAdapterId(id)) {
    throw new HttpError(
      400,
      'invalid_adapter_id',
      `adapter_id ${JSON.stringify(id.slice(0, 140))} is not a valid id (${ADAPTER_ID_PATTERN})`,
    );
  }
  return id;
}
