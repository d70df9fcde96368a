#!/usr/bin/env node
/**
 * Runs one of the backend packages' own benchmark workloads (`src/workloads/`) in this process and prints its
 * output: `node apps/bench/dist/package-script.js <workload> [its arguments]`. `npm run bench --package-scripts`
 * runs some of them (see `PACKAGE_SCRIPTS`), each in its own process; the others are run by hand. Only the chosen
 * workload is imported, so running the ONNX one never loads tf.js or Dawn.
 * @module
 */
import { argv, exit, stderr } from 'node:process';

/** Workload name → its module and entry function. */
const WORKLOADS: Readonly<Record<string, () => Promise<(args: readonly string[]) => Promise<void>>>> = {
  'onnx-inject': async () => (await import('./workloads/onnx-inject.js')).onnxInjectBench,
  'tfjs-train-step': async () => (await import('./workloads/tfjs-train-step.js')).tfjsTrainStepBench,
  'tfjs-compose-7b': async () => (await import('./workloads/tfjs-compose-7b.js')).tfjsCompose7bBench,
  'webgpu-device': async () => (await import('./workloads/webgpu-device-bench.js')).webgpuDeviceBench,
};

const [name, ...rest] = argv.slice(2);
const load = name !== undefined && Object.hasOwn(WORKLOADS, name) ? WORKLOADS[name] : undefined;
if (load === undefined) {
  stderr.write(`usage: package-script.js <${Object.keys(WORKLOADS).join('|')}> [arguments]\n`);
  exit(2);
}
await (
  await load()
)(rest);
