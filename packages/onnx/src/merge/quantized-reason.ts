/**
 * Why a merge into quantized layers is refused unless asked for (one home for the sentence every refusal uses).
 * @module
 */

/** Why merging into quantized layers is refused by default, and what to do instead. */
export const QUANTIZED_MERGE_REASON =
  'Merging a quantized model would dequantize each adapted layer, add ΔW and requantize it, rounding every weight of the ' +
  'layer again (up to half a quantization step each): the result is neither the base model nor base + adapter, and it ' +
  'can generate other tokens than the adapter does. Inject the adapter instead (vblora inject, ' +
  'injectModelFolder: it stays exact beside the quantized layers), or requantize anyway and get the error it adds per ' +
  'module (--requantize, allowQuantizedMerge: true).';
