/**
 * The character-level half of the Python regex parser: a cursor over code points, character classes and
 * backslash escapes, with CPython's `sre_parse` rules and messages.
 * @module
 */
import { PythonRegexSyntaxError, type ClassItem, type RegexNode } from './python-regex-ast.js';

const OCT = /^[0-7]$/;
const DIGIT = /^[0-9]$/;
const HEX = /^[0-9a-fA-F]$/;
const ASCII_LETTER = /^[A-Za-z]$/;
const SIMPLE_ESCAPES: Readonly<Record<string, number>> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };
const CATEGORIES = new Set(['d', 'D', 'w', 'W', 's', 'S']);

/** A one-code-point literal as a class item. */
export const lit = (c: number): ClassItem => ({ k: 'range', lo: c, hi: c });

/** Position in the pattern, capture-group bookkeeping, and the atom parsers. */
export class RegexCursor {
  protected readonly chars: string[];
  protected pos = 0;
  protected groups = 0;
  protected readonly open = new Set<number>();

  constructor(pattern: string) {
    this.chars = Array.from(pattern); // Python indexes str by code point
  }

  protected err(message: string, at: number, kind: 'python' | 'unsupported' = 'python'): PythonRegexSyntaxError {
    const text = kind === 'python' ? `${message} at position ${at}` : message;
    return new PythonRegexSyntaxError(text, at, kind);
  }

  protected peek(offset = 0): string | undefined {
    return this.chars[this.pos + offset];
  }

  protected eat(c: string): boolean {
    if (this.peek() !== c) return false;
    this.pos++;
    return true;
  }

  /** After `[`. */
  protected parseClass(start: number): RegexNode {
    const negate = this.eat('^');
    const items: ClassItem[] = [];
    for (;;) {
      const at = this.pos;
      const c = this.peek();
      if (c === undefined) throw this.err('unterminated character set', start);
      this.pos++;
      if (c === ']' && items.length > 0) break;
      const item = c === '\\' ? this.classEscape(at) : lit(c.codePointAt(0) as number);
      if (!this.eat('-')) {
        items.push(item);
        continue;
      }
      const d = this.peek();
      if (d === undefined) throw this.err('unterminated character set', start);
      this.pos++;
      if (d === ']') {
        items.push(item, lit(45));
        break;
      }
      const end = d === '\\' ? this.classEscape(this.pos - 1) : lit(d.codePointAt(0) as number);
      const range = this.chars.slice(at, this.pos).join('');
      if (item.k !== 'range' || end.k !== 'range' || end.lo < item.lo) {
        throw this.err(`bad character range ${range}`, at);
      }
      items.push({ k: 'range', lo: item.lo, hi: end.lo });
    }
    return { t: 'set', negate, items };
  }

  /** After a `\` inside `[...]`. */
  private classEscape(at: number): ClassItem {
    const c = this.peek();
    if (c === undefined) throw this.err('bad escape (end of pattern)', at);
    this.pos++;
    if (CATEGORIES.has(c)) return { k: 'cat', cat: c as 'd' };
    const simple = SIMPLE_ESCAPES[c];
    if (simple !== undefined) return lit(simple);
    if (c === 'x' || c === 'u' || c === 'U' || c === 'N') return lit(this.codeEscape(c, at));
    if (OCT.test(c)) {
      let digits = c;
      while (digits.length < 3 && OCT.test(this.peek() ?? '')) digits += this.chars[this.pos++];
      return lit(this.octal(digits, at));
    }
    if (DIGIT.test(c) || ASCII_LETTER.test(c)) throw this.err(`bad escape \\${c}`, at);
    return lit(c.codePointAt(0) as number);
  }

  /** After a `\` outside `[...]`. */
  protected parseEscape(at: number): RegexNode {
    const c = this.peek();
    if (c === undefined) throw this.err('bad escape (end of pattern)', at);
    this.pos++;
    const set = (item: ClassItem): RegexNode => ({ t: 'set', negate: false, items: [item] });
    if (CATEGORIES.has(c)) return set({ k: 'cat', cat: c as 'd' });
    if (c === 'A') return { t: 'assert', at: 'bos' };
    if (c === 'Z') return { t: 'assert', at: 'eos' };
    if (c === 'b') return { t: 'assert', at: 'word' };
    if (c === 'B') return { t: 'assert', at: 'nonword' };
    const simple = SIMPLE_ESCAPES[c];
    if (simple !== undefined) return set(lit(simple));
    if (c === 'x' || c === 'u' || c === 'U' || c === 'N') return set(lit(this.codeEscape(c, at)));
    if (c === '0') {
      let digits = c;
      while (digits.length < 3 && OCT.test(this.peek() ?? '')) digits += this.chars[this.pos++];
      return set(lit(this.octal(digits, at)));
    }
    if (DIGIT.test(c)) {
      let digits = c;
      if (DIGIT.test(this.peek() ?? '')) {
        digits += this.chars[this.pos++];
        if (OCT.test(c) && OCT.test(digits[1] as string) && OCT.test(this.peek() ?? '')) {
          digits += this.chars[this.pos++];
          return set(lit(this.octal(digits, at)));
        }
      }
      const group = Number(digits);
      if (group > this.groups) throw this.err(`invalid group reference ${group}`, at + 1);
      if (this.open.has(group)) throw this.err('cannot refer to an open group', at);
      return { t: 'backref', group };
    }
    if (ASCII_LETTER.test(c)) throw this.err(`bad escape \\${c}`, at);
    return set(lit(c.codePointAt(0) as number));
  }

  private octal(digits: string, at: number): number {
    const value = parseInt(digits, 8);
    if (value > 0o377) throw this.err(`octal escape value \\${digits} outside of range 0-0o377`, at);
    return value;
  }

  /** `\xhh`, `\uhhhh`, `\Uhhhhhhhh`; `\N{...}` needs Unicode names, which a browser bundle cannot carry. */
  private codeEscape(c: string, at: number): number {
    if (c === 'N') throw this.err('named Unicode escapes \\N{...} are not supported', at, 'unsupported');
    const width = c === 'x' ? 2 : c === 'u' ? 4 : 8;
    let hex = '';
    while (hex.length < width && HEX.test(this.peek() ?? '')) hex += this.chars[this.pos++];
    if (hex.length < width) throw this.err(`incomplete escape \\${c}${hex}`, at);
    const value = parseInt(hex, 16);
    if (value > 0x10ffff) throw this.err(`bad escape \\${c}${hex}`, at);
    return value;
  }
}
