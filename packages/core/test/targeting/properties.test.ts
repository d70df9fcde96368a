import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  findMinimalTargetModules,
  matchesSuffixList,
  resolveTargets,
  TargetingError,
  type ModuleInfo,
} from '@vblora/core';
import { linear } from './helpers/modules.js';

const component = fc.constantFrom('model', 'layers', 'h', 'blocks', 'mlp', 'q_proj', 'v', '0', '1', '12', '', 'a.b');
const path = fc.array(component, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.'));
const params = { seed: 20240904, numRuns: 300 } as const;

/** Brute force: the entry equals the name with some leading components removed. */
const suffixBrute = (name: string, entry: string): boolean => {
  const parts = name.split('.');
  return parts.some((_, i) => parts.slice(i).join('.') === entry);
};

/** Brute force of PEFT's default layer index: the first all-digit component with at least two components before it... */
const layerBrute = (name: string): number | null => {
  const parts = name.split('.');
  // `.*?\.[^.]*\.(\d+)\.`: some prefix, a dot, one component, a dot, digits, a dot -> digit component j >= 2, not last
  for (let j = 2; j < parts.length - 1; j++) if (/^[0-9]+$/.test(parts[j] as string)) return Number(parts[j]);
  return null;
};

/** ...and with a layers_pattern that is a plain component name: the component right after it, when all digits. */
const layerBruteWithPattern = (name: string, pattern: string): number | null => {
  const parts = name.split('.');
  for (let i = 1; i + 1 < parts.length - 1; i++) {
    if (parts[i] === pattern && /^[0-9]+$/.test(parts[i + 1] as string)) return Number(parts[i + 1]);
  }
  return null;
};

const targeted = (modules: ModuleInfo[], config: object): string[] => {
  try {
    return resolveTargets(modules, { vector_length: 1, ...config }).targets.map((t) => t.name);
  } catch (e) {
    if (e instanceof TargetingError) return []; // nothing matched
    throw e;
  }
};

describe('targeting properties (fixed seed)', () => {
  it('list matching equals "the entry is the name minus some leading components"', () => {
    fc.assert(
      fc.property(path, fc.array(path, { maxLength: 4 }), (name, entries) => {
        expect(matchesSuffixList(name, entries)).toBe(entries.some((e) => suffixBrute(name, e)));
      }),
      params,
    );
  });

  it('resolveTargets with a list targets exactly the suffix matches, in module order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(path, { maxLength: 8 }),
        fc.array(path, { minLength: 1, maxLength: 3 }),
        (paths, entries) => {
          const modules = paths.filter((p) => p !== '').map((p) => linear(p));
          const expected = modules.map((m) => m.name).filter((n) => entries.some((e) => suffixBrute(n, e)));
          expect(targeted(modules, { target_modules: entries })).toEqual(expected);
        },
      ),
      params,
    );
  });

  it('layers_to_transform keeps the modules whose first eligible numbered component is listed', () => {
    fc.assert(
      fc.property(fc.uniqueArray(path, { maxLength: 8 }), fc.constantFrom(0, 1, 12), (paths, layer) => {
        const modules = paths.filter((p) => p !== '').map((p) => linear(p));
        const all = modules.map((m) => m.name);
        const expected = all.filter((n) => n !== '' && layerBrute(n) === layer);
        // target every module by its last component so that no entry equals a whole path (which skips the filter)
        const entries = [...new Set(all.map((n) => n.split('.').pop() as string))].filter((e) => !all.includes(e));
        const got = targeted(modules, { target_modules: entries, layers_to_transform: [layer] });
        expect(got).toEqual(expected.filter((n) => entries.some((e) => suffixBrute(n, e))));
        const withPattern = all.filter(
          (n) => layerBruteWithPattern(n, 'layers') === layer && entries.some((e) => suffixBrute(n, e)),
        );
        expect(
          targeted(modules, { target_modules: entries, layers_to_transform: layer, layers_pattern: 'layers' }),
        ).toEqual(withPattern);
      }),
      params,
    );
  });

  it('condensing a list of full names keeps exactly the same matches', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(path, { minLength: 2, maxLength: 30 }),
        fc.integer({ min: 1, max: 29 }),
        (paths, cut) => {
          const names = paths.filter((p) => p !== '');
          const targets = names.slice(0, cut);
          const others = names.filter((n) => !targets.includes(n) && !matchesSuffixList(n, targets));
          if (targets.length === 0) return;
          const condensed = findMinimalTargetModules(targets, others);
          expect(condensed.length).toBeLessThanOrEqual(targets.length);
          for (const n of names) expect(matchesSuffixList(n, condensed)).toBe(matchesSuffixList(n, targets));
        },
      ),
      params,
    );
  });
});
