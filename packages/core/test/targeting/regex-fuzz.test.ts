import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveTargets, VBLoRAError, type ModuleInfo, type TargetingConfig } from '@vblora/core';
import { fuzzRuns, fuzzTimeout, Outcomes, reportFuzz } from '../reliability/helpers/budget.js';
import { linear } from './helpers/modules.js';

// Fuzz target "hostile regexes" (issue #14, defect 4): generated patterns built from the shapes that make
// backtracking engines exponential (nested and overlapping repeats, alternations of overlapping atoms, large
// counted repeats), mixed with look-arounds and back-references (the budgeted path) and with syntax errors, used
// as target_modules, exclude_modules, a modules_to_save entry and layers_pattern on module names of up to
// 3,000 characters. Property: resolveTargets returns or throws a VBLoRAError, within the backstop, and the
// answer for a pattern is the same however many times it is asked. Budget: VBLORA_FUZZ_RUNS (default 200, ~3 s).
const RUNS = fuzzRuns(200);
const SEED = 20_241_114;
/** A call slower than this is a hang (the linear path takes milliseconds; a budget stop about 30 ms). */
const SLOW_MS = 2000;

const atom = fc.constantFrom(
  'a',
  'aa',
  '.',
  '\\.',
  '\\w',
  '\\d',
  '[a-z.]',
  '[^.]',
  '[a-z._0-9]',
  '(?:)',
  'q_proj',
  '\\b',
  '$',
  '^',
);
const pattern: fc.Arbitrary<string> = fc.letrec<{ p: string }>((tie) => ({
  p: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atom,
    fc.tuple(tie('p'), tie('p')).map(([x, y]) => `${x}${y}`),
    fc.array(tie('p'), { minLength: 2, maxLength: 4 }).map((xs) => `(?:${xs.join('|')})`),
    fc
      .tuple(tie('p'), fc.constantFrom('*', '+', '?', '*?', '{1,30}', '{0,40}', '{2,}', '{,5}', '{1000}', '{0,1001}'))
      .map(([x, q]) => `(?:${x})${q}`),
    fc.tuple(tie('p'), fc.constantFrom('*', '+', '{1,3}')).map(([x, q]) => `(${x})${q}`),
    fc
      .tuple(fc.constantFrom('(?=', '(?!', '(?<=a', '(?<!\\.'), tie('p'))
      .map(([open, x]) => (open.length > 3 ? `${open})${x}` : `${open}${x})`)),
    tie('p').map((x) => `(${x})\\1`),
  ),
})).p;
/** Mostly hostile, sometimes broken: a stray bracket or parenthesis somewhere. */
const anyPattern = fc.oneof(
  { weight: 8, arbitrary: pattern },
  {
    weight: 1,
    arbitrary: fc.tuple(pattern, fc.constantFrom('(', ')', '[', '{1', '*', '\\')).map(([p, junk]) => p + junk),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('(?:\\w|.|[a-z.])*Z', '(?:[a-z._0-9]{1,30}){1,30}Z', '(a|aa)*b', '(a+)+b', '(.*a){20}'),
  },
);
const name = fc
  .tuple(
    fc.array(fc.constantFrom('a', 'a', 'a', '.', 'q_proj', '_', '0', 'Z', 'b', '\n', '\u00e9'), {
      minLength: 1,
      maxLength: 40,
    }),
    fc.integer({ min: 1, max: 75 }),
  )
  .map(([parts, repeat]) => parts.join('').repeat(repeat));

const fields = fc.constantFrom('target_modules', 'exclude_modules', 'modules_to_save', 'layers_pattern');

/** The pattern in `field`; list targets are the names' last components, so the other rules have work to do. */
function configFor(field: string, p: string, names: readonly string[]): TargetingConfig {
  const suffixes = names.map((n) => n.slice(n.lastIndexOf('.') + 1));
  switch (field) {
    case 'target_modules':
      return { vector_length: 1, target_modules: p };
    case 'exclude_modules':
      return { vector_length: 1, target_modules: suffixes, exclude_modules: p };
    case 'modules_to_save':
      return { vector_length: 1, target_modules: suffixes, modules_to_save: [p] };
    default:
      return { vector_length: 1, target_modules: suffixes, layers_to_transform: 0, layers_pattern: p };
  }
}

describe('fuzz: hostile regexes in targeting', () => {
  it(
    `resolveTargets answers or throws a typed error, in bounded time (seed ${SEED}, ${RUNS} runs)`,
    () => {
      const outcomes = new Outcomes();
      const t0 = performance.now();
      fc.assert(
        fc.property(anyPattern, fields, fc.uniqueArray(name, { minLength: 1, maxLength: 6 }), (p, field, names) => {
          const modules: ModuleInfo[] = names.map((n) => linear(n));
          const run = (): string => {
            const start = performance.now();
            let outcome: string;
            try {
              outcome = `ok:${resolveTargets(modules, configFor(field, p, names)).targets.length}`;
            } catch (e) {
              if (!(e instanceof VBLoRAError)) throw e;
              outcome = e.name;
            }
            const ms = performance.now() - start;
            expect(ms, `${field} ${JSON.stringify(p)}`).toBeLessThan(SLOW_MS);
            outcomes.add(`${field}:${outcome.startsWith('ok') ? 'ok' : outcome}`, ms);
            return outcome;
          };
          const first = run();
          // the same question again: no hidden state, no budget carried over between calls
          expect(run()).toBe(first);
        }),
        { seed: SEED, numRuns: RUNS },
      );
      reportFuzz('hostile-regex', SEED, RUNS, outcomes, performance.now() - t0);
      expect(outcomes.sum('target_modules:') + outcomes.sum('exclude_modules:')).toBeGreaterThan(0);
    },
    fuzzTimeout(RUNS, 40),
  );
});
