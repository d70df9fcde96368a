/**
 * A backend module as `vblora conformance` loads it: a package name or a file whose default export is a backend,
 * or which exports `createBackend(options)` (see docs/adding-a-backend.md).
 * @module
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  BackendUnavailableError,
  VBLoRAError,
  type Backend,
  type BackendFactory,
  type BackendOptions,
} from '@vblora/core';
import { UsageError } from '../errors.js';

/** The name of the factory export. */
export const FACTORY_EXPORT = 'createBackend';

/**
 * The `--option KEY=VALUE` values (repeatable; the value is everything after the first `=`, and may be empty).
 * @throws {UsageError} for a value without `=` or a key, or a key given twice.
 */
export function backendOptions(values: readonly string[] | undefined): BackendOptions {
  const entries = new Map<string, string>();
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    if (eq < 1) throw new UsageError(`conformance: --option takes KEY=VALUE, got "${v}"`);
    const key = v.slice(0, eq);
    if (entries.has(key)) throw new UsageError(`conformance: --option ${key} given twice`);
    entries.set(key, v.slice(eq + 1));
  }
  return Object.fromEntries(entries);
}

function looksLikeBackend(v: unknown): v is Backend {
  return typeof v === 'object' && v !== null && 'name' in v && 'kernels' in v && 'isAvailable' in v;
}

function unavailable(spec: string, message: string, reason: string): BackendUnavailableError {
  return new BackendUnavailableError(`${spec}${message}`, [{ backend: spec, reason }]);
}

/**
 * Imports a package name or a file path (relative to the working directory) and returns its backend: the default
 * export when no options are given and it is a backend, otherwise what its `createBackend(options)` returns.
 * @throws {BackendUnavailableError} when the module cannot be imported, has neither export, or its factory fails.
 * @throws {UsageError} for options given to a module that only exports a backend.
 */
export async function loadBackendModule(spec: string, options: BackendOptions): Promise<Backend> {
  const isPath = spec.startsWith('.') || isAbsolute(spec);
  const url = isPath ? pathToFileURL(resolve(spec)).href : spec;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw unavailable(spec, `: cannot import it: ${(err as Error).message}`, 'import failed');
  }
  const withOptions = Object.keys(options).length > 0;
  if (!withOptions && looksLikeBackend(mod['default'])) return mod['default'];
  const own = mod[FACTORY_EXPORT];
  const factory = typeof own === 'function' ? (own as BackendFactory) : undefined;
  if (factory === undefined) {
    if (looksLikeBackend(mod['default'])) {
      throw new UsageError(
        `conformance: ${spec} exports a backend, not ${FACTORY_EXPORT}(options): it takes no --option`,
      );
    }
    throw unavailable(
      spec,
      ` has no default export that is a backend (defineBackend(...)) and no ${FACTORY_EXPORT}(options) export`,
      'no default-exported backend or factory',
    );
  }
  let backend: unknown;
  try {
    backend = await factory(options);
  } catch (err) {
    if (err instanceof VBLoRAError) throw err;
    throw unavailable(
      spec,
      `: ${FACTORY_EXPORT}(options) failed: ${(err as Error)?.message ?? String(err)}`,
      'factory failed',
    );
  }
  if (!looksLikeBackend(backend))
    throw unavailable(spec, `: ${FACTORY_EXPORT}(options) did not return a backend`, 'factory returned no backend');
  return backend;
}
