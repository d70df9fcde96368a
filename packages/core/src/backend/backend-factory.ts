/**
 * The factory a backend package exports as `createBackend(options)`, so that any tool (`vblora conformance
 * <module> --option key=value`, a server's configuration) can make a configured backend the same way for every
 * package: options are strings by key, unknown keys are an error.
 * @module
 */
import { ConfigError } from '../errors.js';
import type { Backend } from './define-backend.js';

/** Options of a backend factory: strings by key (what a command line or an environment can give). */
export type BackendOptions = Readonly<Record<string, string>>;

/** `createBackend(options)`: a configured backend of a package. */
export type BackendFactory = (options?: BackendOptions) => Backend | Promise<Backend>;

/**
 * Refuses keys a factory does not know — a typo must not silently configure the default — and values outside
 * `allowed` where a key has a fixed set.
 * @throws {ConfigError} naming the key, with the known keys or values.
 */
export function checkBackendOptions(
  backend: string,
  options: BackendOptions,
  known: Readonly<Record<string, readonly string[] | null>>,
): void {
  for (const [key, value] of Object.entries(options)) {
    if (!Object.hasOwn(known, key)) {
      const keys = Object.keys(known);
      throw new ConfigError(
        `${backend}: unknown option "${key}"; ${keys.length === 0 ? 'it takes none' : `options: ${keys.join(', ')}`}`,
        key,
      );
    }
    const values = known[key];
    if (values !== null && values !== undefined && !values.includes(value)) {
      throw new ConfigError(`${backend}: option ${key} must be ${values.join(' or ')}, got "${value}"`, key);
    }
  }
}
