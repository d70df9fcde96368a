/**
 * Typed errors of `@vblora/webgpu`. Core's errors (`BackendUnavailableError`, `ShapeError`, `UnsupportedError`,
 * `NumericalError`) are used where they fit; these cover what only a GPU runtime can run into.
 * @module
 */
import { VBLoRAError } from '@vblora/core';

/** The GPU device was lost (driver reset, `destroy()`, tab in the background too long); `reason` is WebGPU's. */
export class DeviceLostError extends VBLoRAError {
  readonly reason: string;
  constructor(message: string, reason: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DeviceLostError';
    this.reason = reason;
  }
}

/** A GPU tensor was used after `dispose()`, or with a runtime other than the one that created it. */
export class GpuTensorError extends VBLoRAError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GpuTensorError';
  }
}

/** The GPU rejected work: a shader that does not compile, an allocation that does not fit, a validation error. */
export class GpuExecutionError extends VBLoRAError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GpuExecutionError';
  }
}
