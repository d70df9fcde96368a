import type { AdapterReport } from '@vblora/core';
import type { ForwardResult } from './forward.js';

/** Escapes text for HTML. */
function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** Table rows of the adapter summary (each row has a stable `data-key` the page test reads). */
export function summaryRows(report: AdapterReport, fileBytes: number): string {
  const p = report.parameters.adapter;
  const rows: [string, string, string][] = [
    [
      'flavour',
      'checkpoint',
      report.flavour === 'topk' ? 'top-k (save_only_topk_weights)' : `${report.flavour} logits`,
    ],
    ['r', 'r', String(report.r)],
    ['num_vectors', 'num_vectors', String(report.numVectors)],
    ['vector_length', 'vector_length', String(report.vectorLength)],
    ['topk', 'topk', String(report.topk)],
    ['index_dtype', 'index dtype', report.indexDtype],
    ['modules', 'modules', String(report.modules.length)],
    ['target_modules', 'target_modules', JSON.stringify(report.targetModules)],
    ['fan_in_fan_out', 'fan_in_fan_out', String(report.fanInFanOut)],
    ['params', 'parameters (logits + bank)', `${p.logits.toLocaleString('en-US')} + ${p.bank.toLocaleString('en-US')}`],
    ['peft_full', 'PEFT savable (full)', report.parameters.peftSavableFull],
    ['peft_topk', 'PEFT savable (top-k)', report.parameters.peftSavableTopk],
    ['file_bytes', 'file size', `${fileBytes.toLocaleString('en-US')} bytes`],
  ];
  return rows
    .map(([key, label, value]) => `<tr data-key="${key}"><th>${esc(label)}</th><td>${esc(value)}</td></tr>`)
    .join('');
}

/** Table rows of the module list. */
export function moduleRows(report: AdapterReport): string {
  const head = '<tr><th>module</th><th>in → out</th><th>A</th><th>B</th></tr>';
  const f = (x: AdapterReport['modules'][number]['a']) =>
    x.kind === 'logits' ? `logits (${x.shape.join(', ')})` : `top-k (${x.shape.join(', ')}) ${x.indexDtype ?? ''}`;
  return (
    head +
    report.modules
      .map(
        (m) =>
          `<tr><td>${esc(m.path)}</td><td>${m.inFeatures} → ${m.outFeatures}</td><td>${esc(f(m.a))}</td><td>${esc(f(m.b))}</td></tr>`,
      )
      .join('')
  );
}

/** Warning lines (load warnings and rows PEFT would reload as NaN). */
export function warningLines(report: AdapterReport, warnings: readonly string[]): string {
  const lines = [
    ...report.peftNaNRows.map((r) => `PEFT would reload ${r} as NaN (vblora.js reloads it finite)`),
    ...warnings,
  ];
  return lines.map((l) => `<div class="warn" data-warning>${esc(l)}</div>`).join('');
}

/** The forward table and its note (each row has a stable `data-key` the page test reads). */
export function forwardTable(f: ForwardResult): string {
  const model = `Toy${f.family === 'gpt2' ? 'GPT2' : f.family === 'llama' ? 'Llama' : 'Linear'}`;
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const rows: [string, string, string][] = [
    ['family', 'model', model],
    ['compose', 'compose (every module)', `${f.composeOn}, ${ms(f.composeMs)}`],
    [
      'forward',
      'forward',
      `${f.forwardOn}, ${ms(f.forwardMs)} (first run ${ms(f.forwardFirstMs)}), output (${f.outputShape.join(', ')})`,
    ],
  ];
  if (f.peft !== undefined) {
    rows.push(
      ['peft', 'max abs error vs PEFT (adapter)', f.peft.adapter.maxAbs.toExponential(2)],
      ['peft_base', 'max abs error vs PEFT (base model)', f.peft.base.maxAbs.toExponential(2)],
      [
        'peft_tol',
        'every element within 1e-6 + 1e-5·|PEFT|',
        f.peft.adapter.withinTol && f.peft.base.withinTol ? 'yes' : 'no',
      ],
    );
  }
  const body = rows
    .map(([key, label, value]) => `<tr data-key="${key}"><th>${esc(label)}</th><td>${esc(value)}</td></tr>`)
    .join('');
  return `<table>${body}</table><div class="muted" data-key="note">${esc(f.note)}</div>`;
}
