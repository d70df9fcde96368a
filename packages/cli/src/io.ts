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

/**
 * What a hostile file could use to drive or fool a terminal: C0/C1 controls (escape sequences), line and
 * paragraph separators (U+2028/9), and invisible format characters (category Cf), among them the bidi controls
 * that reorder what is shown (U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C).
 */
const UNSAFE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

const escapeUnits = (c: string): string =>
  Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');

/** Escapes controls, line separators and invisible format characters (bidi controls among them) as `\uXXXX` (UTF-16 units), for text from a file shown on a terminal. */
export function printable(s: string): string {
  return s.replace(UNSAFE, escapeUnits);
}

/**
 * {@link printable} for `JSON.stringify` output, which leaves C1 controls, bidi controls and U+2028/9 raw in
 * strings: the escapes are JSON's own, so the text parses to the same value. Newlines (the layout) are kept;
 * inside strings JSON has already escaped them.
 */
export function printableJson(json: string): string {
  return json.replace(UNSAFE, (c) => (c === '\n' ? c : escapeUnits(c)));
}

/** A message as one line: newlines and the blanks around them become one space (linear time, any length). */
export function oneLine(s: string): string {
  if (!s.includes('\n')) return s;
  const parts = s.split('\n').map((p) => p.trim());
  return parts.filter((p) => p !== '').join(' ');
}
