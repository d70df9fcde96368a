import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkConformance, formatReport } from '@vblora/conformance';
import { BackendUnavailableError, type Backend } from '@vblora/core';
import type { CliIO } from '../io.js';
import type { CliOptions } from '../main.js';
import { onePositional } from './args.js';

function looksLikeBackend(v: unknown): v is Backend {
  return typeof v === 'object' && v !== null && 'name' in v && 'kernels' in v && 'isAvailable' in v;
}

/** Imports a package name or a file path (relative to the working directory) and returns its default export. */
async function loadBackend(spec: string): Promise<Backend> {
  const isPath = spec.startsWith('.') || isAbsolute(spec);
  const url = isPath ? pathToFileURL(resolve(spec)).href : spec;
  let mod: { default?: unknown };
  try {
    mod = (await import(url)) as { default?: unknown };
  } catch (err) {
    throw new BackendUnavailableError(`cannot import ${spec}: ${(err as Error).message}`, [{ backend: spec, reason: 'import failed' }]);
  }
  if (!looksLikeBackend(mod.default)) {
    throw new BackendUnavailableError(`${spec} has no default export that is a backend (defineBackend(...))`, [
      { backend: spec, reason: 'no default-exported backend' },
    ]);
  }
  return mod.default;
}

/**
 * `vblora conformance <backend module> [--json]`: runs the conformance kit against the backend a package or file
 * exports by default, prints a table (or the JSON report), and exits 0 only when every applicable case passes.
 */
export async function runConformanceCommand(args: readonly string[], options: CliOptions, io: CliIO): Promise<number> {
  const spec = onePositional(args, '<backend module>', 'conformance');
  const backend = await loadBackend(spec);
  const report = await checkConformance(backend);
  io.out(options.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return report.ok ? 0 : 1;
}
