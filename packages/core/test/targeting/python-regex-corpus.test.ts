import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, ResourceLimitError } from '@vblora/core';
import { compileWith, type PythonMatchMode, type PythonRegex } from '../../src/targeting/python-regex.js';

// CPython's answers (fixtures/make-python-regex-corpus.py, run with /usr/bin/python3): hand-picked constructs,
// hostile shapes on names CPython can finish, and seeded random patterns. Accuracy: exact (match or not, and
// every group value), on both matching paths.

interface Case {
  readonly id: string;
  readonly pattern: string;
  readonly mode: PythonMatchMode;
  readonly error?: string;
  readonly names?: readonly string[];
  readonly results?: readonly ((string | null)[] | null)[];
}

const corpus = JSON.parse(readFileSync(new URL('./fixtures/python-regex-corpus.json', import.meta.url), 'utf8')) as {
  python: string;
  cases: Case[];
};

/** Python's answer shape: group values (None → null) or null; a budget stop is reported as such. */
function outcome(
  f: () => boolean | readonly (string | undefined)[] | null,
): boolean | (string | null)[] | null | 'budget' {
  try {
    const r = f();
    return r === null || typeof r === 'boolean' ? r : r.map((g) => g ?? null);
  } catch (e) {
    if (e instanceof ResourceLimitError) return 'budget';
    throw e;
  }
}

describe(`CPython ${corpus.python} re corpus`, () => {
  const valid = corpus.cases.filter((c) => c.error === undefined);
  const invalid = corpus.cases.filter((c) => c.error !== undefined);

  // The budgeted matcher may stop (ResourceLimitError) only on the hostile shapes; the linear path never does.
  it.each(['auto', 'backtracking'] as const)('every answer and group value agrees (%s path)', (engine) => {
    const mismatches: string[] = [];
    const stops = new Set<string>();
    let checks = 0;
    for (const c of valid) {
      let r: PythonRegex;
      try {
        r = compileWith(c.pattern, c.mode, 'target_modules', 'target_modules', { engine });
      } catch (e) {
        mismatches.push(`${c.id} ${JSON.stringify(c.pattern)}: compile threw ${String(e)}`);
        continue;
      }
      (c.names ?? []).forEach((name, i) => {
        const want = c.results?.[i] ?? null;
        const where = `${c.id} ${JSON.stringify(c.pattern)} on ${JSON.stringify(name)}`;
        try {
          const test = outcome(() => r.test(name));
          const groups = outcome(() => r.exec(name));
          checks++;
          if (test === 'budget' || groups === 'budget') stops.add(c.id);
          if (test === 'budget' && r.engine === 'linear')
            mismatches.push(`${where}: the linear path ran out of budget`);
          if (
            (test !== 'budget' && test !== (want !== null)) ||
            (groups !== 'budget' && JSON.stringify(groups) !== JSON.stringify(want))
          ) {
            mismatches.push(
              `${where}: test ${String(test)}, groups ${JSON.stringify(groups)}, CPython ${JSON.stringify(want)}`,
            );
          }
        } catch (e) {
          mismatches.push(`${where}: threw ${String(e)}`);
        }
      });
    }
    expect(mismatches).toEqual([]);
    expect([...stops].filter((id) => !id.startsWith('hostile-'))).toEqual([]);
    expect(checks).toBeGreaterThan(19_000);
  });

  it('rejects every pattern CPython rejects, with a ConfigError that says so', () => {
    const wrong: string[] = [];
    for (const c of invalid) {
      try {
        compileWith(c.pattern, c.mode, 'target_modules', 'target_modules', {});
        wrong.push(`${c.id} ${JSON.stringify(c.pattern)} compiled; CPython: ${c.error}`);
      } catch (e) {
        if (!(e instanceof ConfigError) || !e.message.includes("Python's re module rejects it as well")) {
          wrong.push(`${c.id} ${JSON.stringify(c.pattern)}: ${String(e)}; CPython: ${c.error}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});
