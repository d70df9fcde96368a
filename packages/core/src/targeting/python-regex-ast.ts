/**
 * Syntax tree and errors of the Python regex parser (`python-regex-parse.ts`).
 * @module
 */

/** A category escape (`\d \D \w \W \s \S`) or a code-point range (a literal is a range of one). */
export type ClassItem =
  | { readonly k: 'range'; readonly lo: number; readonly hi: number }
  | { readonly k: 'cat'; readonly cat: 'd' | 'D' | 'w' | 'W' | 's' | 'S' }
  | { readonly k: 'dot' };

/** Parsed Python regex; each node says how it consumes input. */
export type RegexNode =
  | { readonly t: 'seq'; readonly items: readonly RegexNode[] }
  | { readonly t: 'alt'; readonly branches: readonly RegexNode[] }
  | { readonly t: 'group'; readonly open: string; readonly body: RegexNode; readonly look: 'ahead' | 'behind' | null }
  | {
      readonly t: 'repeat';
      readonly min: number;
      readonly max: number;
      readonly lazy: boolean;
      readonly body: RegexNode;
    }
  | { readonly t: 'set'; readonly negate: boolean; readonly items: readonly ClassItem[] }
  | { readonly t: 'assert'; readonly at: 'bol' | 'eol' | 'bos' | 'eos' | 'word' | 'nonword' }
  | { readonly t: 'backref'; readonly group: number };

/** Global inline flags of a pattern (`(?aimsux)` at its start). */
export interface PythonRegexFlags {
  readonly ascii: boolean;
  readonly ignoreCase: boolean;
  readonly multiline: boolean;
  readonly dotAll: boolean;
}

/** Result of parsing: the tree, its global flags and its number of capturing groups. */
export interface ParsedPythonRegex {
  readonly ast: RegexNode;
  readonly flags: PythonRegexFlags;
  readonly groups: number;
}

/** A Python `re.error` (`kind: 'python'`) or a construct we do not support (`kind: 'unsupported'`). */
export class PythonRegexSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
    readonly kind: 'python' | 'unsupported' = 'python',
  ) {
    super(message);
    this.name = 'PythonRegexSyntaxError';
  }
}
