import { describe, expect, it } from 'vitest';
import { reportMarkdown, runBench } from '@vblora/bench';

// Smoke test of the benchmark harness (no timing assertions: benchmarks are not tests).
describe('vblora bench --quick', () => {
  it('runs every workload and renders the markdown table', async () => {
    const report = await runBench({ quick: true });
    const workloads = new Set(report.rows.map((r) => r.workload));
    for (const w of ['copy', 'compose', 'merge', 'forward', 'mixed batch', 'checkpoint', 'merge at scale']) expect(workloads.has(w), w).toBe(true);
    const md = reportMarkdown(report);
    expect(md).toMatch(/^# Benchmarks/);
    expect(md.split('\n').filter((l) => l.startsWith('| ')).length).toBe(report.rows.length + 1);
  }, 120_000);
});
