/**
 * PEFT's per-layer checks in `VBLoRALayer.update_layer`, in PEFT's order and with its messages.
 * @module
 */
import { ConfigError } from '../errors.js';

/** The sizes {@link checkTargetDims} checks. */
export interface TargetDims {
  readonly r: number;
  readonly topk: number;
  readonly vector_length: number;
}

const positive = (n: number): boolean => Number.isSafeInteger(n) && n > 0;

/**
 * Throws PEFT's ValueError texts as {@link ConfigError}: `r` and `topk` must be positive integers and
 * `vector_length` must divide the layer's in and out features. A non-positive `vector_length` (a Python
 * ZeroDivisionError or a negative tile count in PEFT) gets a message of ours.
 */
export function checkTargetDims(
  layer: { readonly inFeatures: number; readonly outFeatures: number },
  dims: TargetDims,
): void {
  const { r, topk, vector_length: vl } = dims;
  if (!positive(r)) throw new ConfigError(`\`r\` ${r} should be a positive integer value`, 'r');
  if (!positive(topk)) throw new ConfigError(`\`topk\` ${topk} should be a positive integer value`, 'topk');
  if (!positive(vl))
    throw new ConfigError(`\`vector_length\` ${vl} should be a positive integer value`, 'vector_length');
  if (layer.inFeatures % vl !== 0) {
    throw new ConfigError(
      `\`in_features\` ${layer.inFeatures} must be divisible by \`vector_length\` ${vl}`,
      'vector_length',
    );
  }
  if (layer.outFeatures % vl !== 0) {
    throw new ConfigError(
      `\`out_features\` ${layer.outFeatures} must be divisible by \`vector_length\` ${vl}`,
      'vector_length',
    );
  }
}
