import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BACKTRACK_BUDGET,
  compilePythonRegex,
  ConfigError,
  resolveTargets,
  ResourceLimitError,
  TargetingError,
  type PythonRegex,
} from '@vblora/core';
import { compileWith } from '../../src/targeting/python-regex.js';
import { linear, names } from './helpers/modules.js';

// Issue #14, defect 4. Expected answers come from CPython (fixtures/make-python-regex-corpus.py): on long names
// through a benign pattern of the same language, the equivalence checked by CPython on every short name.
// Bounded work is asserted by the path taken (`engine: 'linear'`, RE2 automata) and, for the budgeted matcher,
// by its step count; wall time is only a generous backstop that cannot flake.

interface HostileCase {
  readonly id: string;
  readonly pattern: string;
  readonly benign: string;
  readonly names: readonly string[];
  readonly results: readonly boolean[];
}
interface ExclusionCase {
  readonly id: string;
  readonly exclude_modules: string | string[] | null;
  readonly modules_to_save: string[] | null;
  readonly names: readonly string[];
  readonly excluded?: readonly boolean[];
  readonly error?: string;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/hostile-regex-cases.json', import.meta.url), 'utf8')) as {
  hostile: HostileCase[];
  exclusion: ExclusionCase[];
};

const BACKSTOP_MS = 2_000;

/** Runs `f` and fails if it took longer than the backstop (only a catastrophic regression can reach it). */
function timed<T>(f: () => T): T {
  const t0 = performance.now();
  const out = f();
  expect(performance.now() - t0).toBeLessThan(BACKSTOP_MS);
  return out;
}

describe('defect 4: regex denial of service', () => {
  it.each(fixture.hostile)(
    '$id: $pattern answers as CPython on names up to 10,000 characters, on the linear path',
    (c) => {
      const r = compilePythonRegex(c.pattern, 'fullmatch', 'target_modules');
      expect(r.engine).toBe('linear');
      const got = timed(() => c.names.map((n) => r.test(n)));
      expect(got).toEqual(c.results);
      expect(r.backtrackSteps).toBe(0);
    },
  );

  it('the two patterns from the issue pass through resolveTargets (the ONNX merge/inject entry) at once', () => {
    for (const pattern of ['(?:\\w|.|[a-z.])*Z', '(?:[a-z._0-9]{1,30}){1,30}Z']) {
      const modules = [linear('a'.repeat(22)), linear(`${'a'.repeat(22)}Z`), linear('model.layers.0.q_proj')];
      const result = timed(() => resolveTargets(modules, { vector_length: 1, target_modules: pattern }));
      expect(names(result)).toEqual([`${'a'.repeat(22)}Z`]);
      // the same pattern as exclude_modules and layers_pattern
      const excluded = timed(() =>
        resolveTargets(modules, { vector_length: 1, target_modules: ['q_proj', 'Z'], exclude_modules: pattern }),
      );
      expect(names(excluded)).toEqual(['model.layers.0.q_proj']);
    }
    const deep = [linear(`model.${'h.'.repeat(2_000)}0.attn.q_proj`)];
    const layered = timed(() =>
      resolveTargets(deep, {
        vector_length: 1,
        target_modules: ['q_proj'],
        layers_to_transform: 0,
        layers_pattern: '(?:h|\\w|.)*',
      }),
    );
    expect(names(layered)).toEqual([deep[0]?.name]);
  });

  it.each(fixture.exclusion)(
    '$id: exclude_modules and modules_to_save entries with metacharacters are read as PEFT reads them',
    (c) => {
      const modules = c.names.map((n) => linear(n));
      const config = {
        vector_length: 1,
        target_modules: [...c.names],
        exclude_modules: c.exclude_modules,
        modules_to_save: c.modules_to_save,
      };
      if (c.error !== undefined) {
        // PEFT splices modules_to_save entries into its regex unescaped, so CPython raised re.error: so do we.
        expect(() => resolveTargets(modules, config)).toThrow(ConfigError);
        expect(() => resolveTargets(modules, config)).toThrow(c.error);
        return;
      }
      const expected = c.names.filter((_, i) => !(c.excluded?.[i] ?? false));
      let got: string[];
      try {
        got = names(timed(() => resolveTargets(modules, config)));
      } catch (e) {
        if (!(e instanceof TargetingError)) throw e;
        got = []; // everything excluded: PEFT raises too
      }
      expect(got).toEqual(expected);
    },
  );

  it('look-ahead outside the start and back-references run on the budgeted matcher and stop with ResourceLimitError', () => {
    const name = 'a'.repeat(5_000);
    for (const pattern of ['(a|aa)*(?=c)', '(a|aa)*(?!a)c', '(a)(?:\\1|aa)*c', '(x+x+)+(?=y)']) {
      const r = compilePythonRegex(pattern, 'fullmatch', 'target_modules');
      expect(r.engine).toBe('backtracking');
      const e = timed(() => {
        try {
          r.test(pattern.startsWith('(x') ? 'x'.repeat(200) : name);
        } catch (err) {
          return err;
        }
        return null;
      });
      expect(e).toBeInstanceOf(ResourceLimitError);
      expect((e as ResourceLimitError).limit).toBe('regex-steps');
      expect((e as Error).message).toContain(`Regular expression ${JSON.stringify(pattern)} (from target_modules)`);
      // the allowance is the initial one plus one per-call share, never more
      expect(r.backtrackSteps).toBeLessThanOrEqual(BACKTRACK_BUDGET.initialSteps + BACKTRACK_BUDGET.maxStepsPerCall);
    }
  });

  it('a leading look-ahead (as LLaMA-Factory writes them) stays on the linear path', () => {
    const r = compilePythonRegex(
      '^(?!.*(?:vision_tower|multi_modal_projector)).*(?:q_proj|v_proj).*',
      'fullmatch',
      'target_modules',
    );
    expect(r.engine).toBe('linear');
    expect(r.test('model.layers.0.self_attn.q_proj')).toBe(true);
    expect(r.test('model.vision_tower.layers.0.self_attn.q_proj')).toBe(false);
  });

  it('the budget grows with the work a linear engine would do, so real names never hit it', () => {
    // a mid-pattern look-ahead on 2,000 module names of ordinary length
    const r = compilePythonRegex('model\\.layers\\.\\d+\\.(?!mlp)\\w+\\.\\w+_proj', 'fullmatch', 'target_modules');
    expect(r.engine).toBe('backtracking');
    let hits = 0;
    for (let i = 0; i < 1_000; i++) {
      if (r.test(`model.layers.${i}.self_attn.q_proj`)) hits++;
      if (r.test(`model.layers.${i}.mlp.down_proj`)) hits++;
    }
    expect(hits).toBe(1_000);
    expect(r.backtrackSteps).toBeLessThan(BACKTRACK_BUDGET.initialSteps);
  });

  // Property: random hostile shapes (nested and overlapping repeats, alternations) on random names up to 300
  // characters answer on the linear path, and agree with the budgeted matcher whenever that one finishes.
  it('random hostile patterns finish on the linear path and agree with the budgeted matcher (seed 1413)', () => {
    const atom = fc.constantFrom('a', 'b', '.', '\\w', '[a.]', '[^b]', 'a?', '(?:)', '\\.');
    const pattern: fc.Arbitrary<string> = fc.letrec<{ p: string }>((tie) => ({
      p: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        atom,
        fc.tuple(tie('p'), tie('p')).map(([x, y]) => `${x}${y}`),
        fc.tuple(tie('p'), tie('p')).map(([x, y]) => `(?:${x}|${y})`),
        fc.tuple(tie('p'), fc.constantFrom('*', '+', '{1,30}', '{0,5}', '*?', '{2,}')).map(([x, q]) => `(?:${x})${q}`),
        fc.tuple(tie('p'), fc.constantFrom('*', '+', '{1,3}')).map(([x, q]) => `(${x})${q}`),
      ),
    })).p;
    const name = fc
      .tuple(
        fc.array(fc.constantFrom('a', 'a', 'a', 'b', '.', '_', 'é'), { maxLength: 300 }),
        fc.constantFrom('', 'b', 'Z', '\n'),
      )
      .map(([cs, tail]) => cs.join('') + tail);
    fc.assert(
      fc.property(
        pattern,
        fc.array(name, { minLength: 1, maxLength: 4 }),
        fc.constantFrom('fullmatch', 'match' as const),
        (p, ns, mode) => {
          let linearPath: PythonRegex;
          try {
            linearPath = compilePythonRegex(p, mode, 'target_modules');
          } catch (e) {
            if (e instanceof ConfigError) return; // e.g. a repeat count RE2 and the unrolled program both refuse
            throw e;
          }
          expect(linearPath.engine).toBe('linear');
          const reference = compileWith(p, mode, 'target_modules', 'target_modules', { engine: 'backtracking' });
          for (const n of ns) {
            const got = timed(() => linearPath.test(n));
            let want: boolean | null = null;
            try {
              want = reference.test(n);
            } catch (e) {
              if (!(e instanceof ResourceLimitError)) throw e;
            }
            if (want !== null) expect(got).toBe(want);
          }
          expect(linearPath.backtrackSteps).toBe(0);
          expect(reference.backtrackSteps).toBeLessThanOrEqual(
            BACKTRACK_BUDGET.initialSteps + ns.length * BACKTRACK_BUDGET.maxStepsPerCall,
          );
        },
      ),
      { seed: 1413, numRuns: 150 },
    );
  });
});
