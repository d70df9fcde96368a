import { describe, expect, it } from 'vitest';
import { checkConformance, type CaseResult, type ConformanceReport } from '@vblora/conformance';
import { tinyBackend, type TinyBackendBugs } from '../examples/tiny-backend.js';

const failures = (r: ConformanceReport): CaseResult[] => r.cases.filter((c) => c.status === 'fail');

describe('the suite can fail: deliberately broken backends are caught', () => {
  it('control: the tiny backend without bugs passes every case of its four kernels', async () => {
    const report = await checkConformance(tinyBackend());
    expect(failures(report).map((c) => `${c.id}: ${c.message}`)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.totals.passed).toBeGreaterThan(150);
  });

  const broken: [string, TinyBackendBugs, RegExp, RegExp][] = [
    // name, bug, a failing case id must match, its message must match
    ['wrong tie rule', { tieHighestIndex: true }, /ties/, /indices/],
    ['B transposed', { transposeB: true }, /^composeLowRank\//, /B: /],
    ['fan_in_fan_out ignored', { ignoreFanInFanOut: true }, /fan_in_fan_out|gpt2_conv1d/, /delta|weight/],
    ['bf16 rounded the wrong way', { truncateHalf: true }, /bf16/, /not rounded to nearest even in bf16/],
    ['softmax over all nv logits', { softmaxOverAll: true }, /^(topkAdmixture|composeLowRank)\//, /weights|A: |B: /],
    ['result copied from the reference', { copyFromReference: true }, /^composeLowRank\//, /silent fallback/],
  ];
  for (const [name, bugs, idPattern, messagePattern] of broken) {
    it(`${name} is reported, pointing at the bug`, async () => {
      const report = await checkConformance(tinyBackend(bugs));
      expect(report.ok).toBe(false);
      const hits = failures(report).filter((c) => idPattern.test(c.id) && messagePattern.test(c.message));
      expect(hits.length, failures(report).slice(0, 3).map((c) => `${c.id}: ${c.message}`).join('\n')).toBeGreaterThan(0);
    });
  }
});
