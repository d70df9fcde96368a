import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

/** A backend package's own benchmark script, run by `vblora bench` so its figures land in docs/benchmarks.md. */
export interface PackageScript {
  readonly title: string;
  /** Script path relative to the repository root, and its arguments. */
  readonly script: string;
  readonly args: readonly string[];
  /** Extra Node flags (e.g. a larger heap). */
  readonly nodeArgs?: readonly string[];
}

/**
 * The scripts the full run includes (each builds on the packages' dist, which `npm run bench` builds first). Two
 * more exist and are run by hand: `packages/tfjs/bench/compose-7b.mjs` (the bench's compose rows cover it) and
 * `packages/webgpu/bench/gpu-bench.mjs` (meaningful only on a real GPU).
 */
export const PACKAGE_SCRIPTS: readonly PackageScript[] = [
  {
    title: 'ONNX: injected adapter vs base vs merged model, adapter switch latency',
    script: 'packages/onnx/bench/inject-bench.mjs',
    args: ['--runs', '15'],
  },
  {
    title: 'TensorFlow.js: training step, VB-LoRA vs LoRA of the same rank',
    script: 'packages/tfjs/bench/train-step.mjs',
    args: ['wasm'],
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
