/**
 * The messages PEFT's `convert_to_lora` raises with (commit 5d602fd), so that a refusal reads the same here.
 * @module
 */
import { pyFloatRepr } from '../config/py-float-repr.js';

/** A float rank (our `energy`) outside (0, 1]. */
export function thresholdRangeMessage(threshold: number): string {
  return `If rank is a float, it is interpreted as a threshold. It must be between 0 and 1 but got ${pyFloatRepr(threshold)}.`;
}

/** Rank 0. */
export const RANK_ZERO_MESSAGE = "Passing a rank of 0 doesn't make sense, please pass a valid value.";

/** A bias other than `none`: the trained biases have no place in a LoRA checkpoint. */
export function biasUnsupportedMessage(bias: string): string {
  return `The adapter's config sets bias=${bias}, this is not supported right now.`;
}

/** A rank above `min(in, out)` of a module. */
export function rankTooLargeMessage(rank: number, minDim: number): string {
  return `The chosen rank ${rank} is larger than the weight shape (${minDim}), please choose a lower rank.`;
}
