/**
 * Typed errors of `@vblora/core`. Every error has a stable `name` (safe to switch on) and a message that says
 * what was wrong, where, and what would be valid.
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

/** Tensor shapes (or dtypes) do not fit together; `where` names the tensor, module or argument. */
export class ShapeError extends VBLoRAError {
  readonly where: string | undefined;
  constructor(message: string, where?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ShapeError';
    this.where = where;
  }
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

/**
 * A path is unsafe to use: it leaves the folder it must stay in (through `..`, an absolute path or a symbolic
 * link), an output would overwrite one of the inputs, or another process holds the output folder's lock.
 * `path` names it; `rule` is one of `outside-folder`, `output-aliases-input`, `locked`, `not-empty`.
 */
export class PathError extends VBLoRAError {
  readonly path: string;
  readonly rule: string;
  constructor(message: string, path: string, rule: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PathError';
    this.path = path;
    this.rule = rule;
  }
}
