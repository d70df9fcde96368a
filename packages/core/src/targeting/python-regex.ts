/**
 * Python `re.fullmatch` / `re.match` for user patterns, in time bounded by the pattern and name sizes.
 *
 * Patterns come from adapter configs and names from model files, both untrusted, and a backtracking engine
 * (Python's, or JavaScript's `RegExp`) takes exponential time on shapes like `(a|aa)*b` that no syntax check
 * catches reliably. So the parsed pattern (`python-regex-parse.ts`) is translated to RE2 syntax and run by
 * `re2js`, a pure-JavaScript port of RE2 whose automata take time linear in the name for every pattern
 * (`python-regex-re2.ts`, `python-regex-charset.ts`). Python's meaning is kept: `.` excludes only `\n`, `$`
 * also matches before a final `\n`, `\A \Z {,n}`, octal escapes, global inline flags, Unicode `\d \w \s \b`
 * (ASCII under `(?a)`).
 *
 * What RE2 cannot express — look-ahead (except at the very start, where it is checked as a separate linear
 * match), back-references, captures inside look-behind, repeat counts too large even spelled out — runs on a
 * backtracking matcher with a step budget instead (`python-regex-backtrack.ts`), which throws
 * {@link ResourceLimitError} rather than run long. We do not refuse those constructs: configs written by common tools use them (e.g.
 * `^(?!.*vision).*q_proj`), and on real module names they finish far inside the budget.
 * @module
 */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- the module comment's {@link} resolves through it
import { ConfigError, type ResourceLimitError } from '../errors.js';
import { PythonRegexSyntaxError, type RegexNode } from './python-regex-ast.js';
import { canBeEmpty, fixedWidth, numberGroups } from './python-regex-backtrack.js';
import { Matcher, type Context, type Tester } from './python-regex-matcher.js';
import { parsePythonRegex } from './python-regex-parse.js';

export { BACKTRACK_BUDGET } from './python-regex-matcher.js';

/** `fullmatch`: the whole name must match; `match`: a match anchored at the start of the name. */
export type PythonMatchMode = 'fullmatch' | 'match';

/** A compiled Python pattern. */
export interface PythonRegex {
  /** Whether Python's `re.fullmatch` / `re.match` of the pattern on `name` is not None. */
  test(name: string): boolean;
  /** The match's groups (0 = whole match; `undefined` where Python has None), or null when it does not match. */
  exec(name: string): readonly (string | undefined)[] | null;
  /** How `test` matches: `linear` (RE2, time linear in the name) or `backtracking` (the budgeted matcher). */
  readonly engine: 'linear' | 'backtracking';
  /** Steps the budgeted matcher has taken so far (0 when it never ran). */
  readonly backtrackSteps: number;
}

/** @internal Test hook: force the budgeted matcher, to check it against CPython like the linear path. */
export interface CompileOptions {
  readonly engine?: 'auto' | 'backtracking';
}

/**
 * Compiles a Python regular expression with `re.fullmatch` or `re.match` semantics.
 * Throws a {@link ConfigError} (with `field`) naming the pattern when Python would reject it or when it uses a
 * construct we do not support; `origin` says where the pattern came from. Matching throws
 * {@link ResourceLimitError} only for constructs RE2 cannot express, when the budget runs out.
 *
 * @example
 * ```ts
 * compilePythonRegex('.*\\.(q|v)_proj', 'fullmatch', 'target_modules').test('model.layers.0.q_proj'); // true
 * ```
 */
export function compilePythonRegex(pattern: string, mode: PythonMatchMode, field: string, origin = field): PythonRegex {
  return compileWith(pattern, mode, field, origin, {});
}

/** @internal {@link compilePythonRegex} with test options. */
export function compileWith(
  pattern: string,
  mode: PythonMatchMode,
  field: string,
  origin: string,
  options: CompileOptions,
): PythonRegex {
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
  const { ast, flags, groups } = parsed;
  const bodies = new Map([...numberGroups(ast)].map(([node, g]) => [g, (node as { body: RegexNode }).body]));
  const groupBody = (g: number): RegexNode | undefined => bodies.get(g);
  const behind = findNode(ast, (n) => n.t === 'group' && n.look === 'behind' && fixedWidth(n.body, groupBody) === null);
  if (behind !== null) throw fail("look-behind requires fixed-width pattern (Python's re module rejects it as well)");
  // RE2 gives groups in repeats of possibly-empty sub-patterns (`(a|)*`) other values than sre does.
  const emptyLoop =
    findNode(ast, (n) => n.t === 'repeat' && canBeEmpty(n.body, groupBody) && fixedWidth(n.body, groupBody) !== 0) !==
    null;
  const hasBackref = findNode(ast, (n) => n.t === 'backref') !== null;
  const ctx: Context = { pattern, origin, field, flags, fail, forceBacktracking: options.engine === 'backtracking' };
  const full = mode === 'fullmatch';
  const whole = new Matcher(ast, groups, full, ctx);
  const tester = hasBackref || ctx.forceBacktracking ? whole : (hoisted(ast, groups, full, ctx) ?? whole);
  return {
    test: (name) => tester.test(name),
    exec: (name) => whole.exec(name, emptyLoop ? 'group values inside a repeat that can match the empty string' : null),
    get engine() {
      return tester.engine;
    },
    get backtrackSteps() {
      return tester.steps + (tester === whole ? 0 : whole.steps);
    },
  };
}

/**
 * Look-aheads at the very start of the pattern (`^(?!.*vision).*proj`) are tests of the whole name from
 * position 0, so each is matched on its own (linearly), then the rest; only valid for yes/no answers.
 */
function hoisted(ast: RegexNode, groups: number, full: boolean, ctx: Context): Tester | null {
  const items = ast.t === 'seq' ? ast.items : [ast];
  let i = 0;
  const looks: { negate: boolean; body: RegexNode }[] = [];
  for (; i < items.length; i++) {
    const n = items[i] as RegexNode;
    if (n.t === 'assert' && (n.at === 'bos' || n.at === 'bol')) continue; // true at position 0
    if (n.t === 'group' && n.look === 'ahead') looks.push({ negate: n.open === '(?!', body: n.body });
    else break;
  }
  if (looks.length === 0) return null;
  const rest: RegexNode = {
    t: 'seq',
    items: items.filter((n, j) => j >= i || !(n.t === 'group' && n.look === 'ahead')),
  };
  const parts = looks.map((l) => ({
    negate: l.negate,
    m: hoisted(l.body, groups, false, ctx) ?? new Matcher(l.body, groups, false, ctx),
  }));
  const tail = new Matcher(rest, groups, full, ctx);
  const all = [...parts.map((p) => p.m), tail];
  return {
    test: (name) => parts.every((p) => p.m.test(name) !== p.negate) && tail.test(name),
    get engine() {
      return all.every((m) => m.engine === 'linear') ? 'linear' : 'backtracking';
    },
    get steps() {
      return all.reduce((s, m) => s + m.steps, 0);
    },
  };
}

function findNode(n: RegexNode, pred: (n: RegexNode) => boolean): RegexNode | null {
  if (pred(n)) return n;
  const children =
    n.t === 'seq' ? n.items : n.t === 'alt' ? n.branches : n.t === 'group' || n.t === 'repeat' ? [n.body] : [];
  for (const c of children) {
    const hit = findNode(c, pred);
    if (hit !== null) return hit;
  }
  return null;
}
