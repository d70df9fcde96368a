import { printable, type CliIO } from './io.js';

/** A progress line on a terminal; silent when standard error is not a TTY. */
export interface Progress {
  /** Reports `done` of `total` units of work, with an optional label (escaped: it may name a tensor of a file). */
  update(done: number, total: number, label?: string): void;
  /** Clears the progress line. */
  finish(): void;
}

/** Creates a progress reporter for `task` that redraws at most every 100 ms and only on a TTY. */
export function createProgress(io: CliIO, task: string): Progress {
  if (!io.isTTY) return { update: () => undefined, finish: () => undefined };
  let last = 0;
  let drawn = false;
  return {
    update(done, total, label) {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      drawn = true;
      const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
      io.err(`\r\x1b[2K${task} ${pct}% (${done}/${total})${label ? ` ${printable(label)}` : ''}`);
    },
    finish() {
      if (drawn) io.err('\r\x1b[2K');
    },
  };
}
