/** Where a command writes: injectable so tests can capture output without touching process streams. */
export interface CliIO {
  /** Writes to standard output. */
  readonly out: (text: string) => void;
  /** Writes to standard error. */
  readonly err: (text: string) => void;
  /** True when standard error is a terminal (progress is shown only then). */
  readonly isTTY: boolean;
}

/** The process's own streams. */
export const processIO: CliIO = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  isTTY: process.stderr.isTTY === true,
};

/** Escapes control characters (e.g. terminal escape sequences from a hostile file) for display as text. */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
