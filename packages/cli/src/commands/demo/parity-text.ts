import { printable } from '../../io.js';
import { MODEL_REFERENCE, type ModelParity } from './model-parity.js';
import type { ParityRow } from './parity.js';

const err = (v: number | null, width: number) => (v === null ? '—' : v.toExponential(2)).padStart(width);
const ms = (v: number | null, t: number) => (v === null ? '' : `${t.toFixed(0)} ms`).padStart(8);

/**
 * The parity table as printed: kernel rows (compose, merge), then model rows (output), each with its time. Notes
 * carry error messages of native libraries (Dawn, onnxruntime): escaped like any text we did not write.
 */
export function parityText(kernels: readonly ParityRow[], models: ModelParity, probeShape: readonly number[]): string {
  const lines = [
    'parity of the reloaded top-k adapter',
    '  kernels: composed A/B and merged weights, max abs error vs the reference backend',
    `  ${'backend'.padEnd(22)} ${'compose'.padStart(9)} ${'merge'.padStart(9)} ${'time'.padStart(8)}`,
    ...kernels.map((p) =>
      `  ${p.backend.padEnd(22)} ${err(p.composeErr, 9)} ${err(p.mergeErr, 9)} ${ms(p.composeErr, p.ms)}  ${printable(p.note)}`.trimEnd(),
    ),
    `  model output y on a ${probeShape.join('×')} probe, max abs error vs the ${MODEL_REFERENCE}`,
    `  (the adapter moves y by up to ${models.adapterEffect.toExponential(2)}; times: from the adapter and base weights to y)`,
    `  ${'run'.padEnd(22)} ${'output'.padStart(9)} ${''.padStart(9)} ${'time'.padStart(8)}`,
    ...models.rows.map((m) =>
      `  ${m.label.padEnd(22)} ${err(m.outputErr, 9)} ${''.padStart(9)} ${ms(m.outputErr, m.ms)}  ${printable(m.note)}`.trimEnd(),
    ),
  ];
  return `${lines.join('\n')}\n`;
}
