import { checkConformance, formatReport } from '@vblora/conformance';
import type { CliIO } from '../io.js';
import type { CliOptions } from '../main.js';
import { onePositional } from './args.js';
import { backendOptions, loadBackendModule } from './backend-module.js';

/**
 * `vblora conformance <backend module> [--option KEY=VALUE ...] [--json]`: runs the conformance kit against the
 * backend a package or file exports (by default, or from `createBackend(options)`), prints a table (or the JSON
 * report), and exits 0 only when every applicable case passes.
 */
export async function runConformanceCommand(args: readonly string[], options: CliOptions, io: CliIO): Promise<number> {
  const spec = onePositional(args, '<backend module>', 'conformance');
  const backend = await loadBackendModule(spec, backendOptions(options.option));
  const report = await checkConformance(backend);
  io.out(options.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return report.ok ? 0 : 1;
}
