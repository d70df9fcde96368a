/**
 * Typed errors of `@vblora/core`. Every error has a stable `name` (safe to switch on) and a message that says
 * what was wrong, where, and what would be valid.
 *
 * Every constructor takes its arguments in one order: the message first, then the stable rule id when the class
 * has one (`rule`, `limit`), then what the error is about (the field, tensor, path, module or file), then any
 * further data (`attempts`, `candidates`), and `ErrorOptions` (`{ cause }`) last. docs/reliability.md lists every
 * class with when it is thrown and its fields.
 *
 * A class added as a refinement of an existing one (`DTypeError`, `IndexRangeError`, `BackendDefinitionError`)
 * extends it and keeps its `name`: code that caught or switched on the older class, printed messages (the CLI
 * prints `name`) and conformance expectations (matched by `name`) stay as they were; test for the refinement
 * with `instanceof` or with `ShapeError`'s `kind`.
 * @module
 */

/** Base class of every error thrown by vblora.js packages. */
export class VBLoRAError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'VBLoRAError';
  }
}

/** An `adapter_config.json` (or a config object) is invalid; `field` names the offending key when there is one. */
export class ConfigError extends VBLoRAError {
  readonly field: string | undefined;
  constructor(message: string, field?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
    this.field = field;
  }
}

/**
 * `defineBackend` was given an invalid backend description: an empty name, an unknown precision, a missing
 * `isAvailable`, a kernel entry that is not a kernel name or not a function; `field` names the entry (e.g.
 * `kernels.merge`). Extends `ConfigError` and keeps its `name` (`'ConfigError'`), so existing handlers and
 * printed messages are unchanged.
 */
export class BackendDefinitionError extends ConfigError {}

/** A checkpoint file (safetensors or adapter directory) breaks a format rule; `tensor` and `rule` say which. */
export class CheckpointFormatError extends VBLoRAError {
  readonly tensor: string | undefined;
  readonly rule: string;
  constructor(message: string, rule: string, tensor?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CheckpointFormatError';
    this.rule = rule;
    this.tensor = tensor;
  }
}

/** A declared size exceeds a safety cap (header length, tensor bytes, JSON nesting) before anything is allocated. */
export class ResourceLimitError extends VBLoRAError {
  readonly limit: string;
  constructor(message: string, limit: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ResourceLimitError';
    this.limit = limit;
  }
}

/** What a {@link ShapeError} is about: shapes that do not fit, a wrong dtype, or an index out of range. */
export type ShapeErrorKind = 'shape' | 'dtype' | 'index-range';

/**
 * Tensor shapes do not fit together; `where` names the tensor, module or argument. A wrong dtype is a
 * {@link DTypeError} and an out-of-range index an {@link IndexRangeError}: both extend this class, keep its
 * `name` and tell themselves apart by `kind`.
 */
export class ShapeError extends VBLoRAError {
  readonly where: string | undefined;
  /** `shape` here; `dtype` for a {@link DTypeError}, `index-range` for an {@link IndexRangeError}. */
  readonly kind: ShapeErrorKind = 'shape';
  constructor(message: string, where?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ShapeError';
    this.where = where;
  }

  /**
   * The same error with more context: same class (so the same `kind`), `note` appended to the message, `where`
   * replaced, this error as its `cause`.
   */
  withContext(note: string, where: string | undefined): ShapeError {
    const Same = this.constructor as new (message: string, where?: string, options?: ErrorOptions) => ShapeError;
    return new Same(`${this.message}${note}`, where, { cause: this });
  }
}

/** A tensor has a dtype the operation does not accept; `where` names the tensor or argument. `kind` is `dtype`. */
export class DTypeError extends ShapeError {
  override readonly kind: ShapeErrorKind = 'dtype';
}

/**
 * An index tensor holds a value outside its valid range (e.g. a top-k index ≥ the bank size); `where` names the
 * tensor or argument. `kind` is `index-range`.
 */
export class IndexRangeError extends ShapeError {
  override readonly kind: ShapeErrorKind = 'index-range';
}

/** Module targeting selected nothing, or a target cannot be adapted (PEFT's `NoMatchingPeftModuleError` and friends). */
export class TargetingError extends VBLoRAError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TargetingError';
  }
}

/** An adapter does not fit the model or the request: a missing module, an unknown adapter name, a wrong base. */
export class AdapterError extends VBLoRAError {
  readonly module: string | undefined;
  constructor(message: string, module?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AdapterError';
    this.module = module;
  }
}

/** Non-finite values where finite ones are required (e.g. `safeMerge`, adapter tensors at load). */
export class NumericalError extends VBLoRAError {
  readonly where: string | undefined;
  constructor(message: string, where?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NumericalError';
    this.where = where;
  }
}

/** One failed attempt while resolving a backend. */
export interface BackendAttempt {
  readonly backend: string;
  readonly reason: string;
}

/** No backend in the list could be used; `attempts` lists every backend tried and why it failed, in order. */
export class BackendUnavailableError extends VBLoRAError {
  readonly attempts: readonly BackendAttempt[];
  constructor(message: string, attempts: readonly BackendAttempt[] = [], options?: ErrorOptions) {
    super(message, options);
    this.name = 'BackendUnavailableError';
    this.attempts = attempts;
  }
}

/** A requested kernel, dtype or feature is not implemented by the chosen backend or by the format. */
export class UnsupportedError extends VBLoRAError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnsupportedError';
  }
}

/** Writing a file failed (disk full, read-only destination); the destination is left as it was. */
export class WriteError extends VBLoRAError {
  readonly path: string;
  constructor(message: string, path: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WriteError';
    this.path = path;
  }
}

/** Stable rule id of a {@link PathError}. */
export type PathRule =
  'outside-folder' | 'output-aliases-input' | 'output-exists' | 'locked' | 'not-empty' | 'not-a-folder';

/**
 * A path is unsafe to use: it leaves the folder it must stay in (through `..`, an absolute path or a symbolic
 * link), an output would overwrite one of the inputs or an existing file, another process holds the output
 * folder's lock, or an output folder is not empty or not a folder. `rule` says which ({@link PathRule}), `path`
 * names it.
 */
export class PathError extends VBLoRAError {
  readonly path: string;
  readonly rule: PathRule;
  constructor(message: string, rule: PathRule, path: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PathError';
    this.path = path;
    this.rule = rule;
  }
}
