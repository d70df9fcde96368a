/**
 * Names of the graph inputs an injection adds. Prefixed with `vblora.` so they cannot collide with exporter names.
 * @module
 */

/** The per-row adapter slot input. */
export const ROW_ADAPTER_INPUT = 'vblora.row_adapter';
/** The concatenated bank input of the `topk` variant. */
export const BANK_INPUT = 'vblora.bank';

/** Input names of one module in the `lowrank` variant. */
export function lowRankInputs(path: string): { A: string; B: string } {
  return { A: `vblora.${path}.A`, B: `vblora.${path}.B` };
}

/** Input names of one module in the `topk` variant. */
export function topkInputs(path: string): { aIndices: string; aWeights: string; bIndices: string; bWeights: string } {
  return {
    aIndices: `vblora.${path}.A.indices`,
    aWeights: `vblora.${path}.A.weights`,
    bIndices: `vblora.${path}.B.indices`,
    bWeights: `vblora.${path}.B.weights`,
  };
}

/** The f32 stand-in input of a bf16 base tensor that adapters may override. */
export function overrideInput(initializer: string): string {
  return `vblora.override.${initializer}`;
}

/** The initializer that keeps an overridable tensor's base value. */
export function defaultInitializer(initializer: string): string {
  return `vblora.default.${initializer}`;
}
