/**
 * PEFT's per-layer checks (`VBLoRALayer.update_layer`, SPEC §1.3), for targeting code to call on each module.
 * @module
 */
import { ConfigError, ShapeError } from '../errors.js';
import { nonPositiveMessage, notDivisibleMessage } from './peft-messages.js';
import type { VBLoRAConfig } from './types.js';

function requireFeatures(name: string, v: number, module: string): void {
  if (!Number.isSafeInteger(v) || v < 1) {
    throw new ShapeError(`${name} of module ${module} must be a positive integer, got ${String(v)}`, module);
  }
}

/**
 * Throws PEFT's error when a layer cannot be adapted, in PEFT's order: `r` and `topk` positive (`ConfigError`),
 * then `in_features` and `out_features` divisible by `vector_length` (`ShapeError`, `where` = `module`). The
 * message starts with PEFT's text and ends with the module name.
 */
export function checkLayerDims(
  config: Pick<VBLoRAConfig, 'r' | 'topk' | 'vector_length'>,
  inFeatures: number,
  outFeatures: number,
  module: string,
): void {
  for (const field of ['r', 'topk'] as const) {
    const v = config[field];
    if (!(v > 0)) throw new ConfigError(`${nonPositiveMessage(field, v)} (module ${module})`, field);
  }
  requireFeatures('in_features', inFeatures, module);
  requireFeatures('out_features', outFeatures, module);
  const vl = config.vector_length;
  if (!Number.isSafeInteger(vl) || vl < 1) {
    throw new ConfigError(`vector_length must be a positive integer, got ${String(vl)}`, 'vector_length');
  }
  if (inFeatures % vl !== 0) {
    throw new ShapeError(`${notDivisibleMessage('in_features', inFeatures, vl)} (module ${module})`, module);
  }
  if (outFeatures % vl !== 0) {
    throw new ShapeError(`${notDivisibleMessage('out_features', outFeatures, vl)} (module ${module})`, module);
  }
}
