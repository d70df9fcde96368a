/**
 * A parser for the subset of Python `re` syntax that PEFT users put into `target_modules`, `exclude_modules`,
 * `modules_to_save` and `layers_pattern`. It mirrors CPython's `sre_parse` closely enough to reject what Python
 * rejects (with Python's wording) and to give every construct its Python meaning; `python-regex.ts` then matches
 * it in bounded time.
 * @module
 */

import type { ParsedPythonRegex, RegexNode } from './python-regex-ast.js';
import { lit, RegexCursor } from './python-regex-atoms.js';

const MAX_REPEAT = 4294967295; // CPython's MAXREPEAT (sre_constants)
const MAX_DEPTH = 200; // keeps the recursive descent far from the JS stack limit
const DIGIT = /^[0-9]$/;
const REPEAT_CHARS = new Set(['*', '+', '?', '{']);

/** Parses a Python regular expression; throws {@link PythonRegexSyntaxError}. */
export function parsePythonRegex(pattern: string): ParsedPythonRegex {
  return new Parser(pattern).parseAll();
}

class Parser extends RegexCursor {
  private readonly names = new Map<string, number>();
  private flags = { ascii: false, ignoreCase: false, multiline: false, dotAll: false, verbose: false, unicode: false };

  parseAll(): ParsedPythonRegex {
    const ast = this.parseAlternation(0, true);
    if (this.pos < this.chars.length) throw this.err('unbalanced parenthesis', this.pos);
    const { ascii, ignoreCase, multiline, dotAll } = this.flags;
    return { ast, flags: { ascii, ignoreCase, multiline, dotAll }, groups: this.groups };
  }

  private parseAlternation(depth: number, topLevel: boolean): RegexNode {
    if (depth > MAX_DEPTH) throw this.err(`groups nested deeper than ${MAX_DEPTH} levels`, this.pos, 'unsupported');
    const branches = [this.parseSequence(depth, topLevel)];
    while (this.eat('|')) branches.push(this.parseSequence(depth, false));
    return branches.length === 1 ? (branches[0] as RegexNode) : { t: 'alt', branches };
  }

  private parseSequence(depth: number, first: boolean): RegexNode {
    const items: RegexNode[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '|' || c === ')') break;
      const start = this.pos;
      if (this.flags.verbose && this.skipVerbose(c)) continue;
      if (REPEAT_CHARS.has(c)) {
        if (this.tryRepeat(items, start)) continue;
        this.pos++; // a `{` that does not open a valid quantifier is a literal
        items.push({ t: 'set', negate: false, items: [lit(123)] });
        continue;
      }
      this.pos++;
      if (c === '(') {
        const node = this.parseGroup(depth, first && items.length === 0, start);
        if (node !== null) items.push(node);
      } else if (c === '[') items.push(this.parseClass(start));
      else if (c === '\\') items.push(this.parseEscape(start));
      else if (c === '.') items.push({ t: 'set', negate: false, items: [{ k: 'dot' }] });
      else if (c === '^') items.push({ t: 'assert', at: 'bol' });
      else if (c === '$') items.push({ t: 'assert', at: 'eol' });
      else items.push({ t: 'set', negate: false, items: [lit(c.codePointAt(0) as number)] });
    }
    return items.length === 1 ? (items[0] as RegexNode) : { t: 'seq', items };
  }

  private skipVerbose(c: string): boolean {
    if (/^[ \t\n\r\v\f]$/.test(c)) {
      // Python's verbose mode skips ASCII whitespace only
      this.pos++;
      return true;
    }
    if (c !== '#') return false;
    while (this.peek() !== undefined && this.peek() !== '\n') this.pos++;
    return true;
  }

  /** Applies `* + ? {m,n}` to the last item; returns false when `{` turns out to be a literal. */
  private tryRepeat(items: RegexNode[], start: number): boolean {
    const c = this.chars[this.pos] as string;
    let min = 0;
    let max = MAX_REPEAT;
    this.pos++;
    if (c === '+') min = 1;
    else if (c === '?') max = 1;
    else if (c === '{') {
      if (this.peek() === '}') {
        this.pos = start;
        return false;
      }
      let lo = '';
      let hi = '';
      while (DIGIT.test(this.peek() ?? '')) lo += this.chars[this.pos++];
      if (this.eat(',')) while (DIGIT.test(this.peek() ?? '')) hi += this.chars[this.pos++];
      else hi = lo;
      if (!this.eat('}')) {
        this.pos = start;
        return false;
      }
      if (lo !== '') min = Number(lo);
      if (min >= MAX_REPEAT) throw this.err('the repetition number is too large', start);
      if (hi !== '') {
        max = Number(hi);
        if (max >= MAX_REPEAT) throw this.err('the repetition number is too large', start);
        if (max < min) throw this.err('min repeat greater than max repeat', start + 1);
      }
    }
    const last = items[items.length - 1];
    if (last === undefined || last.t === 'assert') throw this.err('nothing to repeat', start);
    if (last.t === 'repeat') throw this.err('multiple repeat', start);
    let lazy = false;
    if (this.eat('?')) lazy = true;
    else if (this.peek() === '+') {
      throw this.err(`possessive quantifier ${c}+ is not supported`, this.pos, 'unsupported');
    }
    items[items.length - 1] = { t: 'repeat', min, max: max === MAX_REPEAT ? Infinity : max, lazy, body: last };
    return true;
  }

  /** After `(`; returns null for comments and global flag groups, which match nothing. */
  private parseGroup(depth: number, atStart: boolean, start: number): RegexNode | null {
    if (!this.eat('?')) return this.capture('(', depth, start);
    const c = this.peek();
    this.pos++;
    if (c === ':') return this.body('(?:', depth, start, null);
    if (c === '=' || c === '!') return this.body(`(?${c}`, depth, start, 'ahead');
    if (c === '#') {
      while (this.peek() !== ')') {
        if (this.peek() === undefined) throw this.err('missing ), unterminated comment', start);
        this.pos++;
      }
      this.pos++;
      return null;
    }
    if (c === '<') {
      const d = this.peek();
      if (d === '=' || d === '!') {
        this.pos++;
        return this.body(`(?<${d}`, depth, start, 'behind');
      }
      throw this.err(`unknown extension ?<${d ?? ''}`, start + 1);
    }
    if (c === 'P') return this.parseNamed(depth, start);
    if (c === '>') throw this.err('atomic group (?>...) is not supported', start, 'unsupported');
    if (c === '(') throw this.err('conditional group (?(...)...) is not supported', start, 'unsupported');
    if (c !== undefined && /^[aiLmsux-]$/.test(c)) {
      this.pos--;
      return this.parseFlags(atStart, start);
    }
    throw this.err(`unknown extension ?${c ?? ''}`, start + 1);
  }

  private parseNamed(depth: number, start: number): RegexNode {
    const kind = this.peek();
    this.pos++;
    if (kind !== '<' && kind !== '=') throw this.err(`unknown extension ?P${kind ?? ''}`, start + 1);
    const name = this.readName(kind === '<' ? '>' : ')');
    if (kind === '=') {
      const group = this.names.get(name);
      if (group === undefined) throw this.err(`unknown group name '${name}'`, start + 4);
      if (this.open.has(group)) throw this.err('cannot refer to an open group', start);
      return { t: 'backref', group };
    }
    const previous = this.names.get(name);
    if (previous !== undefined) {
      throw this.err(
        `redefinition of group name '${name}' as group ${this.groups + 1}; was group ${previous}`,
        start + 4,
      );
    }
    this.names.set(name, this.groups + 1);
    return this.capture(`(?<${name}>`, depth, start);
  }

  private readName(terminator: string): string {
    const at = this.pos;
    let name = '';
    for (;;) {
      const c = this.peek();
      if (c === undefined) throw this.err('missing group name', at);
      this.pos++;
      if (c === terminator) break;
      name += c;
    }
    if (name === '') throw this.err('missing group name', at);
    if (!/^[\p{ID_Start}_][\p{ID_Continue}]*$/u.test(name)) throw this.err(`bad character in group name '${name}'`, at);
    return name;
  }

  private parseFlags(atStart: boolean, start: number): RegexNode | null {
    let on = '';
    while (this.peek() !== undefined && /^[aiLmsux]$/.test(this.peek() as string)) on += this.chars[this.pos++];
    const next = this.peek();
    if (next === ':' || next === '-') {
      throw this.err('scoped inline flags (?flags:...) are not supported', start, 'unsupported');
    }
    if (next !== ')') throw this.err('missing -, : or )', this.pos);
    this.pos++;
    if (on.includes('L')) throw this.err("bad inline flags: cannot use 'L' flag with a str pattern", this.pos - 1);
    if (!atStart) throw this.err('global flags not at the start of the expression', start);
    const f = this.flags;
    if ((on.includes('a') && (f.unicode || on.includes('u'))) || (on.includes('u') && f.ascii)) {
      throw this.err("bad inline flags: flags 'a', 'u' and 'L' are incompatible", this.pos - 1);
    }
    this.flags = {
      ascii: f.ascii || on.includes('a'),
      unicode: f.unicode || on.includes('u'),
      ignoreCase: f.ignoreCase || on.includes('i'),
      multiline: f.multiline || on.includes('m'),
      dotAll: f.dotAll || on.includes('s'),
      verbose: f.verbose || on.includes('x'),
    };
    return null;
  }

  private capture(open: string, depth: number, start: number): RegexNode {
    const index = ++this.groups;
    this.open.add(index);
    const node = this.body(open, depth, start, null);
    this.open.delete(index);
    return node;
  }

  private body(open: string, depth: number, start: number, look: 'ahead' | 'behind' | null): RegexNode {
    const body = this.parseAlternation(depth + 1, false);
    if (!this.eat(')')) throw this.err('missing ), unterminated subpattern', start);
    return { t: 'group', open, body, look };
  }
}
