import { readFileSync } from 'node:fs';
import { it, expect } from 'vitest';
import { compilePythonRegex } from '../../src/targeting/python-regex.js';
it('diff', () => {
  const cases = JSON.parse(readFileSync('/tmp/rx/cases.json', 'utf8'));
  const bad: string[] = []; let skipped = 0;
  for (const c of cases) {
    let re; try { re = compilePythonRegex(c.p, c.mode, "x"); } catch { skipped++; continue; }
    const m = re.exec(c.s);
    const ok = m !== null;
    const endJs = m ? m[0].length : null;
    const endPy = c.end === null ? null : Array.from(c.s as string).slice(0, c.end).join('').length;
    if (ok !== c.ok || (ok && (endJs !== endPy || (c.g1 ?? undefined) !== (m?.[1] ?? undefined)))) bad.push(`${JSON.stringify(c)} js=${ok} ${endJs} ${m?.[1]} src=${re.source}`);
  }
  expect(bad.slice(0, 30)).toEqual([]); expect(skipped).toBe(-1);
});
