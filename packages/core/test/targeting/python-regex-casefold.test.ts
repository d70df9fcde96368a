import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compilePythonRegex } from '@vblora/core';

// What `(?i)` equates, for every cased code point, against CPython's sre data (fixtures/python-casefold.json,
// generated with /usr/bin/python3): x matches the literal c iff lower(x) is lower(c) or one of its extra
// equivalences (sre's LITERAL_UNI_IGNORE and re._casefix). Code points CPython's Unicode does not assign yet are
// left out: a newer Unicode (RE2's) may give them case pairs. Accuracy: exact.

const data = JSON.parse(readFileSync(new URL('./fixtures/python-casefold.json', import.meta.url), 'utf8')) as {
  python: string;
  unicode: string;
  lower: Record<string, number>;
  extra: Record<string, number[]>;
  related: number[];
  unassigned: [number, number][];
};

const lower = (c: number): number => data.lower[c] ?? c;
const equivalents = (c: number): number[] => [lower(c), ...(data.extra[lower(c)] ?? [])];

function unassignedInPython(c: number): boolean {
  let lo = 0;
  let hi = data.unassigned.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = data.unassigned[mid] as [number, number];
    if (c < a) hi = mid - 1;
    else if (c > b) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Every code point either side treats as cased: CPython's, plus whatever JavaScript's case mapping changes. */
function candidates(): number[] {
  const set = new Set(data.related);
  for (let c = 0; c <= 0x10ffff; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const s = String.fromCodePoint(c);
    if (s.toLowerCase() !== s || s.toUpperCase() !== s) set.add(c);
  }
  return [...set].filter((c) => !unassignedInPython(c)).sort((a, b) => a - b);
}

const esc = (c: number): string => `\\U${c.toString(16).padStart(8, '0')}`;

describe(`(?i) as CPython ${data.python} (Unicode ${data.unicode}) reads it`, () => {
  it('every cased code point matches exactly its CPython equivalents, in classes and negated classes', () => {
    const all = candidates();
    expect(all.length).toBeGreaterThan(2_500);
    const wrong: string[] = [];
    for (const c of all) {
      const eq = new Set(equivalents(c));
      const same = all.filter((x) => eq.has(lower(x)));
      const others = all.filter((x) => !eq.has(lower(x)));
      const text = (xs: number[]): string => String.fromCodePoint(...xs);
      if (!compilePythonRegex(`(?i)${esc(c)}+`, 'fullmatch', 'target_modules').test(text(same))) {
        wrong.push(`U+${c.toString(16)} misses one of ${same.map((x) => x.toString(16)).join(' ')}`);
      }
      if (!compilePythonRegex(`(?i)[^${esc(c)}]+`, 'fullmatch', 'target_modules').test(text(others))) {
        wrong.push(`U+${c.toString(16)} matches something CPython does not equate with it`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
