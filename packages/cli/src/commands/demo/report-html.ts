import type { BankUsage } from '@vblora/core';
import { MODEL_REFERENCE, type ModelParity } from './model-parity.js';
import type { ParityRow } from './parity.js';
import type { SizeRow } from './sizes.js';
import type { TextGeneration } from './tiny-llama.js';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** Loss curves on a log scale as inline SVG. */
function lossSvg(series: { label: string; color: string; values: readonly number[] }[]): string {
  const W = 640;
  const H = 280;
  const pad = 40;
  const all = series.flatMap((s) => s.values).filter((v) => v > 0);
  const lo = Math.log10(Math.min(...all));
  const hi = Math.log10(Math.max(...all));
  const n = Math.max(...series.map((s) => s.values.length));
  const x = (i: number) => pad + ((W - 2 * pad) * i) / Math.max(1, n - 1);
  const y = (v: number) => H - pad - ((H - 2 * pad) * (Math.log10(v) - lo)) / Math.max(1e-9, hi - lo);
  const lines = series.map(
    (s) =>
      `<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`,
  );
  const legend = series.map(
    (s, i) => `<text x="${W - 200}" y="${pad + 16 * i}" fill="${s.color}">${esc(s.label)}</text>`,
  );
  return `<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img"><rect width="${W}" height="${H}" fill="white"/>
<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="#999"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}" stroke="#999"/>
<text x="${pad}" y="${H - 10}">step 0</text><text x="${W - pad - 40}" y="${H - 10}">step ${n}</text>
<text x="4" y="${pad}">${(10 ** hi).toPrecision(2)}</text><text x="4" y="${H - pad}">${(10 ** lo).toPrecision(2)}</text>
${lines.join('\n')}${legend.join('')}</svg>`;
}

/** Bank usage as an inline SVG heatmap: modules × bank vectors. */
function heatmapSvg(u: BankUsage): string {
  const cw = Math.max(2, Math.floor(640 / u.numVectors));
  const rh = 14;
  let max = 1;
  for (const c of u.counts) for (const v of c) max = Math.max(max, v);
  const cells: string[] = [];
  u.counts.forEach((c, row) =>
    c.forEach((v, j) => {
      if (v === 0) return;
      const t = v / max;
      cells.push(
        `<rect x="${240 + j * cw}" y="${row * rh}" width="${cw}" height="${rh}" fill="rgb(${Math.round(255 - 215 * t)},${Math.round(255 - 175 * t)},${Math.round(255 - 55 * t)})"><title>${esc(u.modules[row]!)} · vector ${j}: ${v}</title></rect>`,
      );
    }),
  );
  const labels = u.modules.map((m, row) => `<text x="0" y="${row * rh + 11}" font-size="10">${esc(m)}</text>`);
  return `<svg width="${240 + u.numVectors * cw}" height="${u.modules.length * rh}" role="img">${labels.join('')}${cells.join('')}</svg>`;
}

/** Everything the HTML report shows. */
export interface DemoReport {
  readonly vbLoss: readonly number[];
  readonly loraLoss: readonly number[];
  readonly loraEqLoss: readonly number[];
  readonly loraEqRank: number;
  /** VB-LoRA top-k against LoRA at equal bytes and at equal rank: final loss and stored bytes, as measured. */
  readonly comparison: readonly { what: string; loss: number; bytes: number }[];
  readonly text: TextGeneration;
  readonly sizes: readonly SizeRow[];
  readonly parity: readonly ParityRow[];
  readonly modelParity: ModelParity;
  readonly probeShape: readonly number[];
  readonly usage: BankUsage;
  readonly facts: readonly [string, string][];
}

/** A self-contained HTML page (no scripts, no external files). */
export function reportHtml(r: DemoReport): string {
  const sizeRows = r.sizes
    .map(
      (s) =>
        `<tr><td>${esc(s.what)}</td><td>${s.bytes.toLocaleString('en-US')}</td><td>${s.params.toLocaleString('en-US')}</td></tr>`,
    )
    .join('');
  const fmt = (v: number | null) => (v === null ? '—' : v.toExponential(2));
  const parityRows = r.parity
    .map(
      (p) =>
        `<tr><td>${esc(p.backend)}</td><td>${fmt(p.composeErr)}</td><td>${fmt(p.mergeErr)}</td><td>${p.composeErr === null ? '' : `${p.ms.toFixed(0)} ms`}</td><td>${esc(p.note)}</td></tr>`,
    )
    .join('');
  const modelRows = r.modelParity.rows
    .map(
      (m) =>
        `<tr><td>${esc(m.label)}</td><td>${fmt(m.outputErr)}</td><td>${m.outputErr === null ? '' : `${m.ms.toFixed(0)} ms`}</td><td>${esc(m.note)}</td></tr>`,
    )
    .join('');
  const cmpRows = r.comparison
    .map(
      (c) =>
        `<tr><td>${esc(c.what)}</td><td>${c.loss.toExponential(3)}</td><td>${c.bytes.toLocaleString('en-US')}</td></tr>`,
    )
    .join('');
  const textRows = r.text.rows
    .map(
      (t) => `<tr><td>${esc(t.label)}</td><td>${t.text === null ? '—' : esc(t.text)}</td><td>${esc(t.peft)}</td></tr>`,
    )
    .join('');
  const facts = r.facts.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>vblora.js demo report</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:24px;max-width:1000px;color:#1d2330}table{border-collapse:collapse;margin:8px 0 20px}td,th{border-bottom:1px solid #dde;padding:3px 12px 3px 0;text-align:left;font-variant-numeric:tabular-nums}</style></head><body>
<h1>vblora.js demo</h1><table>${facts}</table>
<h2>Training loss (log scale)</h2>${lossSvg([
    { label: 'VB-LoRA', color: '#2a5bd7', values: r.vbLoss },
    { label: 'LoRA (same rank)', color: '#d7632a', values: r.loraLoss },
    { label: `LoRA r ${r.loraEqRank} (equal bytes)`, color: '#2a9d4b', values: r.loraEqLoss },
  ])}
<h2>VB-LoRA vs LoRA at equal bytes and at equal rank</h2><p>Same task, same steps; final loss and stored file bytes as measured.</p>
<table><tr><th>adapter</th><th>final loss</th><th>stored bytes</th></tr>${cmpRows}</table>
<h2>Stored size</h2><table><tr><th>adapter</th><th>file bytes</th><th>savable params (float32-equivalent)</th></tr>${sizeRows}</table>
<h2>Parity of the top-k adapter across backends</h2><p>Kernels: max abs error vs the reference backend of the composed A/B of every module and of the weights merged into the base.</p>
<table><tr><th>backend</th><th>compose</th><th>merge</th><th>time</th><th></th></tr>${parityRows}</table>
<p>Whole model: ToyLlama output on a ${r.probeShape.join('×')} probe, max abs error vs the ${MODEL_REFERENCE} (the adapter moves it by up to ${r.modelParity.adapterEffect.toExponential(2)}). Times run from the adapter and the base weights to the output (model export, inject or merge, session, run).</p>
<table><tr><th>run</th><th>output</th><th>time</th><th></th></tr>${modelRows}</table>
<h2>Text generation (transformers.js)</h2><p>The shipped tiny Llama, base and with PEFT adapter vblora-a injected, greedy, ${r.text.maxNewTokens} new tokens from ${esc(JSON.stringify(r.text.prompt))}; tokens compared with PEFT's recorded generation.</p>
<table><tr><th>model</th><th>text</th><th>vs PEFT</th></tr>${textRows}</table>
<h2>Bank usage</h2><p>How often each bank vector (columns) is selected by each module (rows).</p>${heatmapSvg(r.usage)}
</body></html>
`;
}
