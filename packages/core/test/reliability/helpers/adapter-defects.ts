import { createRng, type Rng } from '@vblora/core';
import { BANK_AND_LOGITS_DEFECTS } from './defects/bank-and-logits.js';
import type { Defect } from './defects/common.js';
import { CONFIG_DEFECTS } from './defects/config.js';
import { STRUCTURE_DEFECTS } from './defects/structure.js';
import { TOPK_DEFECTS } from './defects/topk.js';

export type { Defect, Expected } from './defects/common.js';

/** Every defect the adapter-loader fuzzer applies, one per generated adapter (reordering changes what a seed picks). */
export const DEFECTS: readonly Defect[] = [
  { name: 'none', apply: () => ({ kind: 'load', finite: true }) },
  ...BANK_AND_LOGITS_DEFECTS,
  ...TOPK_DEFECTS,
  ...STRUCTURE_DEFECTS,
  ...CONFIG_DEFECTS,
];

/** A seeded stream for a defect's choices (which module, which element, which bad value). */
export const defectRng = (seed: number): Rng => createRng(seed);
