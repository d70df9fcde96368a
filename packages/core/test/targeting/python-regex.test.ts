import { describe, expect, it } from 'vitest';
import { compilePythonRegex, ConfigError, resolveTargets } from '@vblora/core';
import { expectThrows } from './helpers/expect-error.js';
import { linear, names } from './helpers/modules.js';

const full = (p: string, s: string): boolean => compilePythonRegex(p, 'fullmatch', 'target_modules').test(s);
const match = (p: string, s: string): boolean => compilePythonRegex(p, 'match', 'layers_pattern').test(s);

describe('Python regex semantics', () => {
  it('fullmatch anchors both ends, match only the start', () => {
    expect(full('a|ab', 'ab')).toBe(true); // alternation inside the anchors
    expect(full('q_proj', 'model.q_proj')).toBe(false);
    expect(match('model', 'model.q_proj')).toBe(true);
    expect(match('q_proj', 'model.q_proj')).toBe(false);
  });

  it('translates (?P<name>...) and (?P=name), and rejects JS-only (?<name>...) as Python does', () => {
    expect(full('(?P<x>a)b(?P=x)', 'aba')).toBe(true);
    expect(full('(?P<x>a)b(?P=x)', 'abb')).toBe(false);
    expectThrows(
      () => compilePythonRegex('(?<x>a)', 'fullmatch', 'target_modules'),
      ConfigError,
      'Invalid regular expression "(?<x>a)" (from target_modules): unknown extension ?<x at position 1 ' +
        "(Python's re module rejects it as well)",
    );
  });

  it('keeps Python meanings of `.`, `$`, \\A, \\Z, {,n} and a leading `]` in a class', () => {
    expect(full('a.', 'a\r')).toBe(true); // JS `.` would refuse \r
    expect(full('a.', 'a\n')).toBe(false);
    expect(full('(?s)a.', 'a\n')).toBe(true);
    expect(match('a$', 'a\n')).toBe(true); // Python's `$` also matches before a final newline
    expect(full('\\Aa\\Z', 'a')).toBe(true);
    expect(full('a{,2}', 'aa')).toBe(true);
    expect(full('a{,2}', 'aaa')).toBe(false);
    expect(full('a{}', 'a{}')).toBe(true);
    expect(full('[]a]+', ']a')).toBe(true);
    expect(full('(?i)Q_PROJ', 'q_proj')).toBe(true);
    expect(full('(?x) q _ proj  # comment', 'q_proj')).toBe(true);
    expect(full('\\x71\\u005f\\160roj', 'q_proj')).toBe(true);
  });

  it('uses Unicode \\d, \\w and \\s as Python 3 does, ASCII under (?a)', () => {
    expect(full('\\w+', 'couche_é')).toBe(true);
    expect(full('(?a)\\w+', 'couche_é')).toBe(false);
    expect(full('\\d', '٣')).toBe(true);
    expect(full('[^\\W_]+', 'ab1')).toBe(true);
    expect(full('[^\\W_]+', 'a_b')).toBe(false);
    expect(full('\\s', '\u001c')).toBe(true);
  });

  it('rejects what Python rejects, naming the pattern and the field', () => {
    const cases: [string, string][] = [
      ['.*(', 'missing ), unterminated subpattern at position 2'],
      ['a)', 'unbalanced parenthesis at position 1'],
      ['*a', 'nothing to repeat at position 0'],
      ['a**', 'multiple repeat at position 2'],
      ['\\q', 'bad escape \\q at position 0'],
      ['[a', 'unterminated character set at position 0'],
      ['[z-a]', 'bad character range z-a at position 1'],
      ['a{3,2}', 'min repeat greater than max repeat at position 2'],
      ['(a)\\2', 'invalid group reference 2 at position 4'],
      ['a(?i)', 'global flags not at the start of the expression at position 1'],
      ['(?<=a+)b', "look-behind requires fixed-width pattern (Python's re module rejects it as well)"],
    ];
    for (const [pattern, reason] of cases) {
      const suffix = reason.endsWith('as well)') ? '' : " (Python's re module rejects it as well)";
      const e = expectThrows(
        () => compilePythonRegex(pattern, 'fullmatch', 'exclude_modules'),
        ConfigError,
        `Invalid regular expression ${JSON.stringify(pattern)} (from exclude_modules): ${reason}${suffix}`,
      );
      expect(e.field).toBe('exclude_modules');
    }
  });

  it('rejects the Python constructs we do not support, saying to rewrite them', () => {
    for (const pattern of ['a*+', '(?>a)', '(?i:a)', '(?(1)a|b)', '\\N{DIGIT ONE}']) {
      expect(() => compilePythonRegex(pattern, 'fullmatch', 'target_modules')).toThrow(
        /rewrite the pattern without it/,
      );
    }
  });

  it('accepts every shape Python accepts, including those a backtracking engine hangs on (answers: the CPython corpus)', () => {
    for (const pattern of [
      '(a+)+b',
      '(.*)*x',
      '(\\w+\\d*)+',
      '(a|b?)+',
      '((ab)+)*',
      '(x?)*',
      '(?:\\.\\w+)*',
      '(.*\\.)*q_proj',
    ]) {
      expect(compilePythonRegex(pattern, 'fullmatch', 'target_modules').engine).toBe('linear');
    }
    expect(compilePythonRegex('(?=a)*a', 'fullmatch', 'target_modules').engine).toBe('backtracking'); // a repeated look-ahead
  });

  it('answers huge or deeply nested patterns with a ConfigError, not a stack overflow', () => {
    expect(() => compilePythonRegex('('.repeat(10_000), 'fullmatch', 'target_modules')).toThrow(ConfigError);
    expect(() =>
      compilePythonRegex(`${'(?:'.repeat(5_000)}a${')'.repeat(5_000)}`, 'fullmatch', 'target_modules'),
    ).toThrow(ConfigError);
    const many = Array.from({ length: 5_000 }, (_, i) => `model\\.layers\\.${i}\\.q_proj`).join('|');
    expect(full(many, 'model.layers.4999.q_proj')).toBe(true);
  });

  it('surfaces a bad pattern only when PEFT would evaluate it', () => {
    const mods = [linear('model.q')];
    // layers_pattern is never read for a regex target_modules
    expect(
      names(
        resolveTargets(mods, { vector_length: 16, target_modules: '.*q', layers_to_transform: 0, layers_pattern: '(' }),
      ),
    ).toEqual(['model.q']);
    expect(() =>
      resolveTargets(mods, { vector_length: 16, target_modules: ['q'], modules_to_save: ['he(ad'] }),
    ).toThrow('Invalid regular expression "(^|.*\\\\.)he(ad($|\\\\..*)" (from modules_to_save entry "he(ad")');
  });
});
