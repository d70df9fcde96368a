import { lstat, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelFolderReport, RequantizeReport } from '@vblora/onnx';
import { printable, type CliIO } from '../io.js';
import type { CliOptions } from '../main.js';
import type { Progress } from '../progress.js';

/**
 * True when `path` is a transformers.js / Optimum model folder (a folder with `config.json` and `onnx/`), checked
 * without loading the ONNX package (a safetensors merge never needs it).
 */
export async function isModelFolderPath(path: string): Promise<boolean> {
  if ((await stat(path).catch(() => null))?.isDirectory() !== true) return false;
  const has = async (name: string) => (await lstat(join(path, name)).catch(() => null)) !== null;
  return (await has('config.json')) && (await has('onnx'));
}

/** `--skip-unsupported` as the folder functions take it. */
export function skipOption(options: CliOptions): { skipUnsupported?: true } {
  return options['skip-unsupported'] === true ? { skipUnsupported: true } : {};
}

/** A folder function's progress callback drawing on the command's progress line. */
export function folderProgress(progress: Progress) {
  return (index: number, total: number, file: string, done: number, of: number, what: string): void =>
    progress.update(done, of, `${index}/${total} ${file}${what === file ? '' : ` ${what}`}`);
}

const pct = (x: number): string => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`;

/** One line for a requantized variant: the largest error added, the base's own half step, how much of ΔW is lost. */
function requantizedLine(reports: readonly RequantizeReport[]): string {
  if (reports.length === 0) return '';
  const maxError = Math.max(...reports.map((r) => r.maxAbsError));
  const halfStep = Math.max(...reports.map((r) => r.baseHalfStep));
  const lost = reports.map((r) => r.deltaRelError);
  const worst = reports.reduce((a, b) => (b.deltaRelError > a.deltaRelError ? b : a));
  return (
    `: max error ${maxError.toPrecision(3)} (the base's half step: ${halfStep.toPrecision(3)}); ` +
    `ΔW error ${pct(Math.min(...lost))}–${pct(Math.max(...lost))} of ‖ΔW‖ (worst ${printable(worst.module)})`
  );
}

/** Prints what a folder command did: a line per variant, the folder, warnings and what was not carried over. */
export function printFolderReport(report: ModelFolderReport, io: CliIO): void {
  for (const v of report.variants) {
    const what =
      v.action === 'skipped'
        ? `: ${printable(v.reason)}`
        : v.action === 'requantized'
          ? requantizedLine(v.requantized)
          : '';
    io.out(`${v.action} onnx/${printable(v.file)} (${v.kind})${what}\n`);
  }
  const done = report.variants.filter((v) => v.action !== 'skipped').length;
  io.out(
    `wrote ${printable(report.folder)}: ${done} of ${report.variants.length} models; copied ${report.copied.map(printable).join(', ')}\n`,
  );
  for (const w of new Set(report.variants.flatMap((v) => v.warnings))) io.err(`vblora: warning: ${printable(w)}\n`);
  for (const n of report.notCarried) io.err(`vblora: not carried over: ${printable(n)}\n`);
}
