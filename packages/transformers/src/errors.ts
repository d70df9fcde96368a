/**
 * Typed errors of `@vblora/transformers`. Adapter contents that do not fit the model are reported with
 * `@vblora/core`'s errors (`AdapterError`, `ShapeError`), a malformed injection description with `@vblora/onnx`'s
 * `OnnxModelError`.
 * @module
 */
import { VBLoRAError } from '@vblora/core';

/**
 * The transformers.js model (or its ONNX file) cannot take switchable adapters. `rule`: `no-session` (the model
 * has no such session), `not-injected` (no VB-LoRA description in the file), `static` (an adapter is built in:
 * nothing to switch), `inputs` (the session's inputs differ from what the file describes: another file than the
 * one the session runs), `attached` (adapters are attached already), `model-file` (the file cannot be read),
 * `detached` (the runtime took the adapter tensors' memory away: onnxruntime-web's wasm proxy transfers inputs to
 * its worker).
 */
export class ModelSessionError extends VBLoRAError {
  /** Stable rule id. */
  readonly rule: 'no-session' | 'not-injected' | 'static' | 'inputs' | 'attached' | 'model-file' | 'detached';
  constructor(message: string, rule: ModelSessionError['rule'], options?: ErrorOptions) {
    super(message, options);
    this.name = 'ModelSessionError';
    this.rule = rule;
  }
}

/**
 * An adapter selection cannot be applied. `rule`: `unknown` (no adapter of that name is loaded), `rows` (a
 * per-row selection does not match the batch of a run), `mixed-overrides` (an adapter that replaces base tensors
 * in a mixed batch), `busy` (`use` while `withAdapter` holds the model), `disposed` (the controller was disposed).
 */
export class AdapterSelectionError extends VBLoRAError {
  /** Stable rule id. */
  readonly rule: 'unknown' | 'rows' | 'mixed-overrides' | 'busy' | 'disposed';
  constructor(message: string, rule: AdapterSelectionError['rule'], options?: ErrorOptions) {
    super(message, options);
    this.name = 'AdapterSelectionError';
    this.rule = rule;
  }
}
