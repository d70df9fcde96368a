/**
 * A conformance report as a readable table for the terminal.
 * @module
 */
import type { ConformanceReport } from './check-conformance.js';

/** Formats a report: one row per kernel, then every failing case with its message. */
export function formatReport(report: ConformanceReport): string {
  const lines: string[] = [];
  lines.push(`conformance of backend "${report.backend}" (${report.precision})`);
  lines.push('');
  lines.push(
    `${'kernel'.padEnd(20)} ${'cases'.padStart(5)} ${'pass'.padStart(5)} ${'fail'.padStart(5)} ${'skip'.padStart(5)} ${'known'.padStart(5)}  max abs err`,
  );
  for (const [kernel, c] of Object.entries(report.kernels)) {
    const rows = report.cases.filter((r) => r.kernel === kernel);
    const err = Math.max(0, ...rows.flatMap((r) => Object.values(r.maxAbs)).filter((v) => Number.isFinite(v)));
    const total = c.passed + c.failed + c.skipped + c.knownFailures;
    lines.push(
      `${kernel.padEnd(20)} ${String(total).padStart(5)} ${String(c.passed).padStart(5)} ${String(c.failed).padStart(5)} ${String(c.skipped).padStart(5)} ${String(c.knownFailures).padStart(5)}  ${c.skipped === total ? '—' : err.toExponential(2)}`,
    );
  }
  const t = report.totals;
  lines.push('');
  lines.push(
    `${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped (kernel absent), ${t.knownFailures} known failures`,
  );
  for (const r of report.cases.filter((x) => x.status === 'fail' || x.status === 'unexpected-pass')) {
    lines.push('');
    lines.push(`FAIL ${r.id}`);
    lines.push(`  ${r.about}; required: ${r.accuracy}`);
    for (const m of r.message.split('\n').slice(0, 8)) lines.push(`  ${m}`);
  }
  lines.push('');
  lines.push(report.ok ? 'CONFORMANT: every applicable case passed' : 'NOT CONFORMANT');
  return `${lines.join('\n')}\n`;
}
