/**
 * Worker thread of the compose pool: runs the compose jobs it is sent (CPU kernels instantiated on the job's
 * shared memory). Loaded from the built package only.
 * @module
 */
import { parentPort } from 'node:worker_threads';
import { runComposeJob, type ComposeJob } from './compose-job.js';
import { describeError } from './worker-error.js';

parentPort?.on('message', (job: ComposeJob) => {
  try {
    runComposeJob(job, (path) => parentPort?.postMessage({ done: path }));
    parentPort?.postMessage({ ok: true });
  } catch (err) {
    parentPort?.postMessage({ ok: false, error: describeError(err) });
  }
});
