/**
 * Typed errors of `@vblora/onnx`. Everything else is thrown as one of `@vblora/core`'s errors (`AdapterError`,
 * `ShapeError`, `UnsupportedError`, `WriteError`, ...).
 * @module
 */
import { TargetingError, VBLoRAError } from '@vblora/core';

/** An ONNX file cannot be read or breaks a rule of the format; `rule` names the rule, `where` the tensor or node. */
export class OnnxModelError extends VBLoRAError {
  /** Stable rule id, e.g. `protobuf`, `external-data`, `tensor-size`. */
  readonly rule: string;
  /** The tensor, node or file concerned, when there is one. */
  readonly where: string | undefined;
  constructor(message: string, rule: string, where?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OnnxModelError';
    this.rule = rule;
    this.where = where;
  }
}

/** A PEFT module path has no node in the ONNX graph; `candidates` are the nearest names the graph offers. */
export class ModuleMappingError extends TargetingError {
  /** The PEFT module path that could not be mapped. */
  readonly module: string;
  /** Nearest module paths, node names or initializer names, best first. */
  readonly candidates: readonly string[];
  constructor(message: string, module: string, candidates: readonly string[], options?: ErrorOptions) {
    super(message, options);
    this.name = 'ModuleMappingError';
    this.module = module;
    this.candidates = candidates;
  }
}
