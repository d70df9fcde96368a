/**
 * Python `re.fullmatch` / `re.match` for user patterns, as JavaScript RegExps.
 *
 * The pattern is parsed with Python's rules (`python-regex-parse.ts`) and re-emitted for a `u`-flag RegExp so that
 * every construct keeps its Python meaning: `(?P<n>…)`/`(?P=n)` become `(?<n>…)`/`\k<n>`; `.` excludes only `\n`;
 * `$` also matches before a final `\n`; `\A`, `\Z`, `{,n}`, `\a`, octal escapes and global inline flags
 * (`(?i)`, `(?s)`, `(?m)`, `(?a)`, `(?x)`) are honoured; `\d \w \s \b` are Unicode-aware as in Python 3 (with the
 * JS engine's Unicode tables) unless `(?a)` is given. Possessive quantifiers, atomic groups, scoped flags,
 * conditionals and `\N{…}` have no JS equivalent and are rejected. Patterns with the textbook shapes of
 * catastrophic backtracking (an unbounded repeat of something that is itself only repeats or can be empty, e.g.
 * `(a+)+`, `(.*)*`, `(a|b?)+`) are rejected too, because a JS RegExp cannot be interrupted. Overlapping
 * alternatives such as `(a|aa)+` are not detected.
 * @module
 */
import { ConfigError } from '../errors.js';
import { PythonRegexSyntaxError, type ClassItem, type PythonRegexFlags, type RegexNode } from './python-regex-ast.js';
import { parsePythonRegex } from './python-regex-parse.js';

/** `fullmatch`: the whole name must match; `match`: a match anchored at the start of the name. */
export type PythonMatchMode = 'fullmatch' | 'match';

const ANY = '[\\s\\S]';
const UNICODE = { d: '\\p{Nd}', w: '\\p{L}\\p{N}_', s: '\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000' };
const ASCII = { d: '0-9', w: 'A-Za-z0-9_', s: '\\t-\\r\\x20' };

/**
 * Compiles a Python regular expression into a RegExp with `re.fullmatch` or `re.match` semantics.
 * Throws a {@link ConfigError} (with `field`) naming the pattern when Python would reject it, when it uses a
 * construct JavaScript cannot express, or when it looks catastrophic; `origin` says where the pattern came from.
 */
export function compilePythonRegex(pattern: string, mode: PythonMatchMode, field: string, origin = field): RegExp {
  const fail = (reason: string): ConfigError =>
    new ConfigError(`Invalid regular expression ${JSON.stringify(pattern)} (from ${origin}): ${reason}`, field);
  let parsed;
  try {
    parsed = parsePythonRegex(pattern);
  } catch (e) {
    if (!(e instanceof PythonRegexSyntaxError)) throw e;
    if (e.kind === 'python') throw fail(`${e.message} (Python's re module rejects it as well)`);
    throw fail(`${e.message}; rewrite the pattern without it`);
  }
  const problem = findProblem(parsed.ast);
  if (problem !== null) throw fail(problem);
  const body = new Emitter(parsed.flags).emit(parsed.ast);
  const source = mode === 'fullmatch' ? `^(?:${body})$` : `^(?:${body})`;
  try {
    return new RegExp(source, parsed.flags.ignoreCase ? 'iu' : 'u');
  } catch (e) {
    throw fail(`JavaScript rejected its translation ${JSON.stringify(source)}: ${(e as Error).message}`);
  }
}

class Emitter {
  private readonly cls: { readonly d: string; readonly w: string; readonly s: string };

  constructor(private readonly flags: PythonRegexFlags) {
    this.cls = flags.ascii ? ASCII : UNICODE;
  }

  emit(n: RegexNode): string {
    switch (n.t) {
      case 'seq':
        return n.items.map((i) => this.emit(i)).join('');
      case 'alt':
        return n.branches.map((b) => this.emit(b)).join('|');
      case 'group':
        return `${n.open}${this.emit(n.body)})`;
      case 'repeat': {
        const inner = this.emit(n.body);
        const body = n.body.t === 'group' && n.body.look !== null ? `(?:${inner})` : inner; // JS `u` forbids `(?=a)*`
        return body + quantifier(n.min, n.max) + (n.lazy ? '?' : '');
      }
      case 'set':
        return this.set(n.negate, n.items);
      case 'backref':
        return `(?:\\${n.group})`;
      case 'assert':
        return this.assertion(n.at);
    }
  }

  private assertion(at: 'bol' | 'eol' | 'bos' | 'eos' | 'word' | 'nonword'): string {
    const w = `[${this.cls.w}]`;
    switch (at) {
      case 'bos':
        return `(?<!${ANY})`;
      case 'eos':
        return `(?!${ANY})`;
      case 'bol':
        return this.flags.multiline ? '(?<![^\\n])' : `(?<!${ANY})`;
      case 'eol':
        return this.flags.multiline ? `(?=\\n|(?!${ANY}))` : `(?=\\n?(?!${ANY}))`;
      case 'word':
        return `(?:(?<=${w})(?!${w})|(?<!${w})(?=${w}))`;
      case 'nonword': // Python's \B never matches inside an empty string
        return `(?:(?<=${w})(?=${w})|(?<!${w})(?!${w})(?:(?<=${ANY})|(?=${ANY})))`;
    }
  }

  /** One code point from a set: positive parts share one class, complements (`\D`, `.`) become alternatives. */
  private set(negate: boolean, items: readonly ClassItem[]): string {
    const positive: string[] = [];
    const complements: string[] = [];
    for (const item of items) {
      if (item.k === 'range') positive.push(item.lo === item.hi ? cp(item.lo) : `${cp(item.lo)}-${cp(item.hi)}`);
      else if (item.k === 'dot') {
        if (this.flags.dotAll) positive.push('\\s\\S');
        else complements.push('[^\\n]');
      } else {
        const base = this.cls[item.cat.toLowerCase() as 'd' | 'w' | 's'];
        if (item.cat === item.cat.toLowerCase()) positive.push(base);
        else complements.push(`[^${base}]`);
      }
    }
    if (!negate && complements.length === 0 && positive.length === 1 && items[0]?.k === 'range') {
      const only = items[0];
      if (only.lo === only.hi) return cp(only.lo);
    }
    const parts = positive.length > 0 ? [`[${positive.join('')}]`, ...complements] : complements;
    const union = parts.length === 1 ? (parts[0] as string) : `(?:${parts.join('|')})`;
    if (!negate) return union;
    if (complements.length === 0) return `[^${positive.join('')}]`;
    return `(?:(?!${union})${ANY})`;
  }
}

function quantifier(min: number, max: number): string {
  if (max === Infinity) return min === 0 ? '*' : min === 1 ? '+' : `{${min},}`;
  if (min === 0 && max === 1) return '?';
  return min === max ? `{${min}}` : `{${min},${max}}`;
}

/** A code point as a token that is literal both inside and outside a `u`-mode class. */
function cp(c: number): string {
  return /^[A-Za-z0-9_]$/.test(String.fromCodePoint(c)) ? String.fromCodePoint(c) : `\\u{${c.toString(16)}}`;
}

function unwrap(n: RegexNode): RegexNode {
  return n.t === 'group' && n.look === null ? unwrap(n.body) : n;
}

function nullable(n: RegexNode): boolean {
  switch (n.t) {
    case 'seq':
      return n.items.every(nullable);
    case 'alt':
      return n.branches.some(nullable);
    case 'group':
      return n.look !== null || nullable(n.body);
    case 'repeat':
      return n.min === 0 || nullable(n.body);
    case 'set':
      return false;
    default:
      return true;
  }
}

/** True when the node is made only of unbounded repeats (and empty-matching parts), like `a+b*` or `(x+)`. */
function onlyRepeats(node: RegexNode): boolean {
  const n = unwrap(node);
  if (n.t === 'repeat') return n.max === Infinity;
  if (n.t === 'alt') return n.branches.some(onlyRepeats);
  if (n.t === 'seq') return n.items.some(onlyRepeats) && n.items.every((i) => nullable(i) || onlyRepeats(i));
  return false;
}

/** Fixed width of a sub-pattern in code points, or null (Python requires it inside look-behinds). */
function width(n: RegexNode): number | null {
  switch (n.t) {
    case 'set':
      return 1;
    case 'assert':
      return 0;
    case 'backref':
      return null;
    case 'group':
      return n.look !== null ? 0 : width(n.body);
    case 'repeat': {
      const w = width(n.body);
      return w !== null && n.min === n.max ? w * n.min : null;
    }
    case 'seq': {
      let sum = 0;
      for (const i of n.items) {
        const w = width(i);
        if (w === null) return null;
        sum += w;
      }
      return sum;
    }
    case 'alt': {
      const ws = n.branches.map(width);
      return ws.every((w) => w !== null && w === ws[0]) ? (ws[0] as number) : null;
    }
  }
}

/** The first reason to refuse the pattern: a Python-only error JS would accept, or catastrophic backtracking. */
function findProblem(n: RegexNode): string | null {
  const children = n.t === 'seq' ? n.items : n.t === 'alt' ? n.branches : n.t === 'group' || n.t === 'repeat' ? [n.body] : [];
  if (n.t === 'group' && n.look === 'behind' && width(n.body) === null) {
    return "look-behind requires fixed-width pattern (Python's re module rejects it as well)";
  }
  if (n.t === 'repeat' && nullable(n.body) && width(n.body) !== 0) {
    return (
      'it repeats a sub-pattern that can match the empty string (like `(a?)+` or `(x|)*`): Python and JavaScript ' +
      'treat empty iterations differently, and unbounded ones can take exponential time; rewrite it without'
    );
  }
  if (n.t === 'repeat' && n.max === Infinity && onlyRepeats(n.body)) {
    return (
      'an unbounded repeat of a sub-pattern that is itself only repetition (like `(a+)+` or `(.*)*`) can take ' +
      'exponential time; rewrite it, e.g. `(?:\\.\\w+)*` instead of `(\\w+)*`'
    );
  }
  for (const c of children) {
    const p = findProblem(c);
    if (p !== null) return p;
  }
  return null;
}
