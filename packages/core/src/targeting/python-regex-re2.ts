/**
 * Python regex syntax tree → RE2 syntax (for `re2js`), keeping Python's meaning: `\A`, `\Z` → `\z`, `{,n}` →
 * `{0,n}`, Unicode classes via `python-regex-charset.ts`, named groups as plain groups (group numbers are what
 * we read). Python's `$` becomes RE2's multi-line `$`, which is the same thing on any name whose only newline
 * (if any) is its last character; Python's Unicode `\b`/`\B` become RE2's ASCII ones, the same on ASCII names
 * (and `\B` differs on the empty name). `inputOk` says whether a name is one of those.
 *
 * Constructs RE2 cannot express (look-ahead, back-references, captures inside look-behind) are reported as
 * `blocker` instead; the caller then uses the budgeted matcher. RE2 also refuses repeat counts whose product
 * along a nesting exceeds 1,000 (`(?:.{0,30}){0,40}`); `unroll` spells such repeats out (`x{2,4}` → `xxx?x?`),
 * which keeps the language but not the group numbers, so that translation answers yes/no only.
 * @module
 */
import type { PythonRegexFlags, RegexNode } from './python-regex-ast.js';
import { re2CharClass } from './python-regex-charset.js';

/** An RE2 translation, or why there is none. */
export type Re2Translation =
  | {
      readonly ok: true;
      readonly source: string;
      readonly lookbehind: boolean;
      /** Whether RE2's reading of `$`, `\b`, `\B` agrees with Python's on this name. */
      readonly inputOk: (name: string) => boolean;
    }
  | { readonly ok: false; readonly blocker: string };

const ASCII_ONLY = /^[\x00-\x7f]*$/;

/** Spelled-out translations longer than this go to the budgeted matcher instead. */
export const MAX_UNROLLED_SOURCE = 100_000; // RE2 then compiles in well under a second

/** Translates a parsed pattern; `source` is the pattern without anchoring (the caller adds `\A…\z`). */
export function toRe2(ast: RegexNode, flags: PythonRegexFlags, unroll = false): Re2Translation {
  const e = new Re2Emitter(flags, unroll);
  const body = e.emit(ast, false);
  if (e.blocker !== null) return { ok: false, blocker: e.blocker };
  if (unroll && body.length > MAX_UNROLLED_SOURCE)
    return { ok: false, blocker: 'repeat counts too large to spell out' };
  const { eol, word, nonword } = e;
  const inputOk = (name: string): boolean => {
    if (eol) {
      const nl = name.indexOf('\n');
      if (nl !== -1 && nl !== name.length - 1) return false;
    }
    if ((word || nonword) && !flags.ascii && !ASCII_ONLY.test(name)) return false;
    return !(nonword && name === '');
  };
  return { ok: true, source: body, lookbehind: e.lookbehind, inputOk };
}

class Re2Emitter {
  blocker: string | null = null;
  lookbehind = false;
  eol = false;
  word = false;
  nonword = false;

  constructor(
    private readonly flags: PythonRegexFlags,
    private readonly unroll: boolean,
  ) {}

  private block(reason: string): string {
    this.blocker ??= reason;
    return '';
  }

  /** `x{min,max}` as copies: min times `x`, then `x?` up to max (or `x*`); stops early once too long. */
  private spelledOut(x: string, min: number, max: number, lazy: boolean): string {
    const lz = lazy ? '?' : '';
    const copies = min + (max === Infinity ? 0 : max - min);
    if (copies * x.length > MAX_UNROLLED_SOURCE) return this.block('repeat counts too large to spell out');
    const parts: string[] = [];
    for (let i = 0; i < min; i++) parts.push(x);
    if (max === Infinity) parts.push(`${x}*${lz}`);
    else for (let i = min; i < max; i++) parts.push(`${x}?${lz}`);
    return parts.join('');
  }

  emit(n: RegexNode, inLookbehind: boolean): string {
    switch (n.t) {
      case 'seq':
        return n.items.map((i) => this.emit(i, inLookbehind)).join('');
      case 'alt':
        return n.branches.map((b) => this.emit(b, inLookbehind)).join('|');
      case 'group': {
        if (n.look === 'ahead') return this.block('its look-ahead');
        if (n.look === 'behind') {
          this.lookbehind = true;
          return `${n.open}${this.emit(n.body, true)})`;
        }
        if (n.open === '(?:' || this.unroll) return `(?:${this.emit(n.body, inLookbehind)})`;
        if (inLookbehind) return this.block('its capturing group inside a look-behind');
        return `(${this.emit(n.body, inLookbehind)})`;
      }
      case 'repeat': {
        if (this.unroll && (n.min > 1 || (n.max !== Infinity && n.max > 1))) {
          return this.spelledOut(`(?:${this.emit(n.body, inLookbehind)})`, n.min, n.max, n.lazy);
        }
        const max = n.max === Infinity ? '' : String(n.max);
        const q =
          n.min === 0 && n.max === Infinity ? '*' : n.min === 1 && n.max === Infinity ? '+' : `{${n.min},${max}}`;
        return `(?:${this.emit(n.body, inLookbehind)})${q}${n.lazy ? '?' : ''}`;
      }
      case 'set':
        return re2CharClass(n.negate, n.items, this.flags);
      case 'backref':
        return this.block('its back-reference');
      case 'assert':
        return this.assertion(n.at);
    }
  }

  private assertion(at: 'bol' | 'eol' | 'bos' | 'eos' | 'word' | 'nonword'): string {
    switch (at) {
      case 'bos':
        return '\\A';
      case 'eos':
        return '\\z';
      case 'bol':
        return this.flags.multiline ? '(?m:^)' : '\\A';
      case 'eol':
        if (!this.flags.multiline) this.eol = true;
        return '(?m:$)';
      case 'word':
        this.word = true;
        return '\\b';
      case 'nonword':
        this.nonword = true;
        return '\\B';
    }
  }
}
