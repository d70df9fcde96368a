import type { BankUsage } from '@vblora/core';

/** Draws bank usage as a heatmap: one row per module, one column per bank vector, darker = selected more often. */
export function drawHeatmap(canvas: HTMLCanvasElement, usage: BankUsage): void {
  const cell = Math.max(1, Math.min(8, Math.floor(1000 / usage.numVectors)));
  const rowH = Math.max(3, Math.min(12, Math.floor(400 / Math.max(1, usage.modules.length))));
  canvas.width = usage.numVectors * cell;
  canvas.height = usage.modules.length * rowH;
  const ctx = canvas.getContext('2d');
  if (ctx === null) return;
  let max = 1;
  for (const c of usage.counts) for (const v of c) max = Math.max(max, v);
  usage.counts.forEach((counts, row) => {
    counts.forEach((v, j) => {
      const t = v / max;
      ctx.fillStyle = `rgb(${Math.round(255 - 215 * t)}, ${Math.round(255 - 175 * t)}, ${Math.round(255 - 55 * t)})`;
      ctx.fillRect(j * cell, row * rowH, cell, rowH);
    });
  });
}
