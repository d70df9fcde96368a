/**
 * Worker thread of the parallel merge: instantiates the CPU kernels on the pool's shared memory and merges rows
 * of the jobs it is sent, taking them a chunk at a time with the other workers (see `runShared`). Loaded from the built package only (worker threads cannot load TypeScript sources).
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CpuInstance } from '../cpu-instance.js';
import { runShared, type SharedSliceJob } from './merge-slice.js';

const { memory, module } = workerData as { memory: WebAssembly.Memory; module: WebAssembly.Module };
const inst = new CpuInstance(memory, module);

parentPort?.on('message', (job: SharedSliceJob) => {
  try {
    parentPort?.postMessage({ ok: true, bad: runShared(inst, memory, job) });
  } catch (err) {
    const e = err as Error;
    parentPort?.postMessage({ ok: false, name: e.name, message: e.message });
  }
});
