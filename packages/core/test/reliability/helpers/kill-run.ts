import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The child script of the kill test. */
export const KILL_CHILD = fileURLToPath(new URL('./kill-child.mjs', import.meta.url));

/** What a killed writer had reported. */
export interface KilledWriter {
  readonly pid: number;
  /** Last version the child reported as completely written (0: none). */
  readonly lastDone: number;
}

/**
 * Starts the writer child, waits until it has completed `afterDone` writes (0: until it is ready), waits `delayMs`
 * more, then kills it with SIGKILL — no handler, no cleanup, exactly like a power cut for the process.
 */
export async function runAndKill(args: readonly string[], afterDone: number, delayMs: number): Promise<KilledWriter> {
  const child = spawn(process.execPath, [KILL_CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let lastDone = 0;
  let stderr = '';
  let buffered = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
    child.once('exit', (code) => reject(new Error(`writer exited on its own (code ${code}): ${stderr}`)));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith('done ')) lastDone = Number(line.slice(5));
        if ((line === 'ready' && afterDone === 0) || (line.startsWith('done ') && lastDone === afterDone)) resolve();
      }
    });
  });
  await new Promise((r) => setTimeout(r, delayMs));
  child.kill('SIGKILL');
  await exited;
  return { pid: child.pid!, lastDone };
}
