/**
 * `defineBackend`: a backend is a plain, frozen, typed value — a name, a compute precision, an availability
 * probe, an optional init and the kernels it implements. Nothing is registered anywhere; callers pass backends
 * to `resolveBackend` in the order they prefer.
 * @module
 */
import { BackendDefinitionError } from '../errors.js';
import type { Precision } from '../kernels/contract.js';
import { isKernelName, type KernelSet } from '../kernels/kernel-set.js';
import { checkCapabilities, type BackendCapabilities } from './capabilities.js';

/** What a backend author writes. */
export interface BackendSpec {
  /** Stable name shown in errors and reports, e.g. `"webgpu"`. */
  readonly name: string;
  /** Arithmetic the kernels compute in; selects the declared accuracy a backend is held to. */
  readonly precision: Precision;
  /** Cheap probe: can this backend run here (API present, adapter found)? May be async; must not throw on "no". */
  isAvailable(): boolean | Promise<boolean>;
  /**
   * One-time setup (compile shaders, create sessions); resolveBackend calls it every time it picks the backend.
   * Undefined as absent, so that a defined backend spreads into a new spec (`{ ...backend, capabilities }`).
   */
  readonly init?: (() => void | Promise<void>) | undefined;
  /** The kernels implemented; an absent kernel is simply not supported. */
  readonly kernels: Partial<KernelSet>;
  /** What the backend offers beyond its kernels (pairs storage, a parallel merge); absent: core's plain paths. */
  readonly capabilities?: BackendCapabilities;
}

/** A defined backend: the frozen spec. */
export interface Backend {
  /** Name shown in reports and errors. */
  readonly name: string;
  /** Precision the backend computes in. */
  readonly precision: Precision;
  /** Whether the backend can run here (e.g. a GPU adapter exists). */
  readonly isAvailable: () => boolean | Promise<boolean>;
  /** One-time set-up run by `resolveBackend` before first use. */
  readonly init: (() => void | Promise<void>) | undefined;
  /** The kernels implemented; an absent kernel is not supported. */
  readonly kernels: Readonly<Partial<KernelSet>>;
  /**
   * What the backend offers beyond its kernels; core asks for these instead of checking which backend it has.
   * Absent (a backend value not made by {@link defineBackend}) counts as none.
   */
  readonly capabilities?: Readonly<BackendCapabilities>;
}

const PRECISIONS: readonly string[] = ['f32', 'bf16', 'f16'];

/**
 * Defines a backend: checks the spec and returns it frozen (kernels and capabilities copied, so later edits of the
 * spec object do not leak in).
 * @throws {BackendDefinitionError} (a `ConfigError`) on an empty name, an unknown precision, a missing
 * isAvailable, a kernel entry that is not a known kernel name or not a function, or a capability that is unknown
 * or lacks its methods.
 * @example
 * ```ts
 * export const myBackend = defineBackend({
 *   name: 'my-gpu', precision: 'f32',
 *   isAvailable: () => typeof navigator !== 'undefined' && 'gpu' in navigator,
 *   kernels: { composeLowRank: async (args) => ... },
 * });
 * ```
 */
export function defineBackend(spec: BackendSpec): Backend {
  if (typeof spec.name !== 'string' || spec.name.trim() === '') {
    throw new BackendDefinitionError('a backend needs a non-empty name', 'name');
  }
  if (!PRECISIONS.includes(spec.precision)) {
    throw new BackendDefinitionError(
      `backend "${spec.name}": precision must be one of ${PRECISIONS.join(', ')}, got ${String(spec.precision)}`,
      'precision',
    );
  }
  if (typeof spec.isAvailable !== 'function') {
    throw new BackendDefinitionError(`backend "${spec.name}": isAvailable must be a function`, 'isAvailable');
  }
  if (spec.init !== undefined && typeof spec.init !== 'function') {
    throw new BackendDefinitionError(`backend "${spec.name}": init must be a function when given`, 'init');
  }
  const kernels: Record<string, unknown> = {};
  for (const [key, fn] of Object.entries(spec.kernels ?? {})) {
    if (fn === undefined) continue;
    if (!isKernelName(key)) {
      throw new BackendDefinitionError(`backend "${spec.name}": "${key}" is not a kernel name`, `kernels.${key}`);
    }
    if (typeof fn !== 'function') {
      throw new BackendDefinitionError(`backend "${spec.name}": kernel "${key}" must be a function`, `kernels.${key}`);
    }
    kernels[key] = fn;
  }
  return Object.freeze({
    name: spec.name,
    precision: spec.precision,
    isAvailable: spec.isAvailable,
    init: spec.init,
    kernels: Object.freeze(kernels) as Readonly<Partial<KernelSet>>,
    capabilities: checkCapabilities(spec.name, spec.capabilities),
  });
}
