/**
 * Worker thread of the parallel merge: instantiates the CPU kernels on the pool's shared memory and merges the
 * row slices it is sent. Loaded from the built package only (worker threads cannot load TypeScript sources).
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CpuInstance } from '../cpu-instance.js';
import { runSlice, type SliceJob } from './merge-slice.js';

const { memory, module } = workerData as { memory: WebAssembly.Memory; module: WebAssembly.Module };
const inst = new CpuInstance(memory, module);

parentPort?.on('message', (job: SliceJob) => {
  try {
    parentPort?.postMessage({ ok: true, bad: runSlice(inst, memory, job) });
  } catch (err) {
    const e = err as Error;
    parentPort?.postMessage({ ok: false, name: e.name, message: e.message });
  }
});
