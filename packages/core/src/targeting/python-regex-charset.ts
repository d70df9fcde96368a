/**
 * Python character sets (`[...]`, `\d \w \s`, `.`) as RE2 syntax that matches exactly one code point.
 *
 * RE2 has no class intersection, no lookahead and ASCII-only `\d \w \s`, so the set is worked out here: ASCII
 * mode (`(?a)`) is plain range arithmetic; Unicode mode keeps the categories symbolic (`\p{L}`, `\p{N}`,
 * `\p{Nd}`) and writes "category minus some code points" as the double negation `[^\P{L}…]`. Unicode
 * case-insensitivity is left to RE2's `(?i)` (simple case folding); ASCII case-insensitivity is spelled out,
 * because Python's `(?ai)` folds only A–Z.
 * @module
 */
import type { ClassItem, PythonRegexFlags } from './python-regex-ast.js';

type Range = readonly [number, number];
type Ranges = readonly Range[];
/** The Unicode categories Python's `\d` and `\w` are made of (`Nd` ⊂ `N`; `L` ∩ `N` = ∅). */
type Category = 'L' | 'N' | 'Nd';

/** A union of categories and explicit code points. */
interface Term {
  readonly cats: readonly Category[];
  readonly ranges: Ranges;
}

const MAX_CP = 0x10ffff;
const UNIVERSE: Ranges = [[0, MAX_CP]];
/** RE2 syntax for a class that matches nothing. */
export const EMPTY_CLASS = '[^\\x{0}-\\x{10ffff}]';

// Python 3's str.isspace() characters, and its ASCII sets under (?a).
const UNICODE_SPACE: Ranges = [
  [0x09, 0x0d],
  [0x1c, 0x20],
  [0x85, 0x85],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
];
const ASCII_SPACE: Ranges = [
  [0x09, 0x0d],
  [0x20, 0x20],
];
const ASCII_DIGIT: Ranges = [[0x30, 0x39]];
const ASCII_WORD: Ranges = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];
const UPPER: Range = [0x41, 0x5a];
const NEWLINE: Ranges = [[0x0a, 0x0a]];
/**
 * Under `(?i)` CPython also equates i, I, İ and ı (its lower-case rule plus `re._casefix`); RE2's simple case
 * folding keeps İ and ı apart. Everything else agrees, checked over every cased code point (Unicode versions
 * aside: RE2's tables are newer than CPython 3.11's).
 */
const TURKIC_I: Ranges = [
  [0x49, 0x49],
  [0x69, 0x69],
  [0x130, 0x131],
];
const isTurkicI = (c: number): boolean => c === 0x49 || c === 0x69 || c === 0x130 || c === 0x131;

const CATEGORY_TEST: Readonly<Record<Category, RegExp>> = { L: /^\p{L}$/u, N: /^\p{N}$/u, Nd: /^\p{Nd}$/u };

/** RE2 syntax for one code point of the Python set `[items]` (`[^items]` when `negate`) under `flags`. */
export function re2CharClass(negate: boolean, items: readonly ClassItem[], flags: PythonRegexFlags): string {
  const only = items[0];
  const unicodeFold = flags.ignoreCase && !flags.ascii;
  if (
    !negate &&
    items.length === 1 &&
    only?.k === 'range' &&
    only.lo === only.hi &&
    !(flags.ignoreCase && (flags.ascii || isTurkicI(only.lo)))
  ) {
    return cp(only.lo);
  }
  const positive: Term[] = [];
  const complements: Term[] = [];
  for (const item of items) {
    if (item.k === 'range') positive.push({ cats: [], ranges: [[item.lo, item.hi]] });
    else if (item.k === 'dot') {
      if (flags.dotAll) positive.push({ cats: [], ranges: UNIVERSE });
      else complements.push({ cats: [], ranges: NEWLINE });
    } else {
      const term = categoryTerm(item.cat.toLowerCase() as 'd' | 'w' | 's', flags.ascii);
      (item.cat === item.cat.toLowerCase() ? positive : complements).push(term);
    }
  }
  let pos = unionTerms(positive);
  if (unicodeFold && intersect(pos.ranges, TURKIC_I).length > 0)
    pos = { cats: pos.cats, ranges: union(pos.ranges, TURKIC_I) };
  if (flags.ascii) return asciiClass(negate, pos, complements, flags.ignoreCase);
  if (complements.length === 0) return bracket(pos, negate);
  if (!negate) {
    const parts = [...(isEmptyTerm(pos) ? [] : [bracket(pos, false)]), ...complements.map((c) => bracket(c, true))];
    return alternatives(parts);
  }
  // [^…] with complements inside: what is left is (⋂ complemented sets) \ positives.
  return alternatives(subtractTerm(complements.reduce(intersectTerms), pos));
}

function categoryTerm(cat: 'd' | 'w' | 's', ascii: boolean): Term {
  if (ascii) return { cats: [], ranges: cat === 'd' ? ASCII_DIGIT : cat === 'w' ? ASCII_WORD : ASCII_SPACE };
  if (cat === 'd') return { cats: ['Nd'], ranges: [] };
  if (cat === 'w') return { cats: ['L', 'N'], ranges: [[0x5f, 0x5f]] };
  return { cats: [], ranges: UNICODE_SPACE };
}

/** Under `(?a)` every set is explicit, so the class is computed exactly. */
function asciiClass(negate: boolean, pos: Term, complements: readonly Term[], ignoreCase: boolean): string {
  let set = complements.reduce((acc, c) => union(acc, complement(c.ranges)), pos.ranges);
  if (ignoreCase) {
    // Python tests ascii_lower(ch) against the set with its literals lowered: A–Z follow their lower case.
    const lowered = union(subtract(set, [UPPER]), shift(intersect(set, [UPPER]), 0x20));
    const uppers = shift(intersect(lowered, [[0x61, 0x7a]]), -0x20);
    set = union(subtract(lowered, [UPPER]), uppers);
  }
  if (negate) set = complement(set);
  return set.length === 0 ? EMPTY_CLASS : bracket({ cats: [], ranges: set }, false);
}

/** The parts of `t` not in `minus`, as RE2 classes (several when `t` has several categories). */
function subtractTerm(t: Term, minus: Term): string[] {
  const parts: string[] = [];
  const ranges = subtract(t.ranges, minus.ranges).flatMap(([lo, hi]) => splitByCategories(lo, hi, minus.cats));
  if (ranges.length > 0) parts.push(bracket({ cats: [], ranges }, false));
  for (const cat of t.cats) {
    if (minus.cats.some((m) => m === cat || (m === 'N' && cat === 'Nd'))) continue;
    parts.push(isEmptyTerm(minus) ? `\\p{${cat}}` : `[^\\P{${cat}}${items(minus)}]`);
  }
  return parts;
}

/** Code points of a small explicit range that lie in none of `cats`. */
function splitByCategories(lo: number, hi: number, cats: readonly Category[]): Range[] {
  if (cats.length === 0) return [[lo, hi]];
  const out: [number, number][] = [];
  for (let c = lo; c <= hi; c++) {
    if (cats.some((cat) => inCategory(cat, c))) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === c - 1) last[1] = c;
    else out.push([c, c]);
  }
  return out;
}

function inCategory(cat: Category, c: number): boolean {
  return CATEGORY_TEST[cat].test(String.fromCodePoint(c));
}

/** Only ever applied to the complemented sets (\D \W \S and `.`'s newline): all small or categories. */
function intersectTerms(a: Term, b: Term): Term {
  const cats: Category[] = [];
  for (const x of a.cats) {
    for (const y of b.cats) {
      const meet = x === y ? x : (x === 'N' && y === 'Nd') || (x === 'Nd' && y === 'N') ? 'Nd' : null;
      if (meet !== null && !cats.includes(meet)) cats.push(meet);
    }
  }
  const inCats = (r: Ranges, cs: readonly Category[]): Range[] =>
    r.flatMap(([lo, hi]) => {
      const out: Range[] = [];
      for (let c = lo; c <= hi; c++) if (cs.some((cat) => inCategory(cat, c))) out.push([c, c]);
      return out;
    });
  const ranges = union(
    intersect(a.ranges, b.ranges),
    normalize([...inCats(a.ranges, b.cats), ...inCats(b.ranges, a.cats)]),
  );
  return { cats, ranges };
}

function unionTerms(terms: readonly Term[]): Term {
  const cats = [...new Set(terms.flatMap((t) => t.cats))];
  return { cats, ranges: normalize(terms.flatMap((t) => t.ranges)) };
}

function isEmptyTerm(t: Term): boolean {
  return t.cats.length === 0 && t.ranges.length === 0;
}

function bracket(t: Term, negate: boolean): string {
  if (isEmptyTerm(t)) return negate ? '[\\x{0}-\\x{10ffff}]' : EMPTY_CLASS;
  return `[${negate ? '^' : ''}${items(t)}]`;
}

function items(t: Term): string {
  return (
    t.cats.map((c) => `\\p{${c}}`).join('') +
    t.ranges.map(([lo, hi]) => (lo === hi ? cp(lo) : `${cp(lo)}-${cp(hi)}`)).join('')
  );
}

function alternatives(parts: readonly string[]): string {
  if (parts.length === 0) return EMPTY_CLASS;
  return parts.length === 1 ? (parts[0] as string) : `(?:${parts.join('|')})`;
}

/** A code point as a token that is literal in RE2 syntax, inside and outside a class. */
export function cp(c: number): string {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
    ? String.fromCharCode(c)
    : `\\x{${c.toString(16)}}`;
}

function normalize(rs: readonly Range[]): Ranges {
  const sorted = [...rs].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function union(a: Ranges, b: Ranges): Ranges {
  return normalize([...a, ...b]);
}

function complement(a: Ranges): Ranges {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of normalize(a)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CP) out.push([next, MAX_CP]);
  return out;
}

function intersect(a: Ranges, b: Ranges): Ranges {
  return complement(union(complement(a), complement(b)));
}

function subtract(a: Ranges, b: Ranges): Ranges {
  return intersect(a, complement(b));
}

function shift(a: Ranges, by: number): Ranges {
  return a.map(([lo, hi]) => [lo + by, hi + by] as const);
}
