import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

/** A backend package's own benchmark workload, run by `npm run bench` so its figures land in docs/benchmarks.md. */
export interface PackageScript {
  readonly title: string;
  /** Script path relative to the repository root, and its arguments. */
  readonly script: string;
  readonly args: readonly string[];
  /** Extra Node flags (e.g. a larger heap). */
  readonly nodeArgs?: readonly string[];
}

/**
 * The workloads the full run includes, each in its own process (`package-script.js`, built with the app's dist,
 * which `npm run bench` builds first). Two more are run by hand: `tfjs-compose-7b` (the bench's compose rows cover
 * it) and `webgpu-device` (meaningful only on a real GPU; `apps/bench/scripts/device-bundle.sh` packs it).
 */
export const PACKAGE_SCRIPTS: readonly PackageScript[] = [
  {
    title: 'ONNX: injected adapter vs base vs merged model, adapter switch latency',
    script: 'apps/bench/dist/package-script.js',
    args: ['onnx-inject', '--runs', '15'],
  },
  {
    title: 'TensorFlow.js: training step, VB-LoRA vs LoRA of the same rank',
    script: 'apps/bench/dist/package-script.js',
    args: ['tfjs-train-step', 'wasm'],
  },
];

/** Output of one package script. */
export interface PackageScriptResult {
  readonly title: string;
  readonly command: string;
  readonly output: string;
  readonly ok: boolean;
}

const ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));

/** Runs one script with a time limit; its stdout (a markdown table or text) is kept verbatim. */
export function runPackageScript(s: PackageScript, timeoutMs = 600_000): Promise<PackageScriptResult> {
  const command = ['node', ...(s.nodeArgs ?? []), s.script, ...s.args].join(' ');
  return new Promise((done) => {
    execFile(
      process.execPath,
      [...(s.nodeArgs ?? []), resolve(ROOT, s.script), ...s.args],
      { cwd: ROOT, timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 },
      (err, stdout, stderr) => {
        done({
          title: s.title,
          command,
          ok: err === null,
          output:
            err === null ? stdout.trim() : `failed: ${(stderr || String(err)).trim().split('\n').slice(-3).join(' ')}`,
        });
      },
    );
  });
}
