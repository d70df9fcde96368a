import { describe, expect, it } from 'vitest';
import { loadBackends, reportMarkdown, runBench } from '@vblora/bench';

// Smoke test of the benchmark harness (no timing assertions: benchmarks are not tests).
describe('vblora bench --quick', () => {
  it('runs every workload and renders the markdown table', async () => {
    const skipped: string[] = [];
    const backends = await loadBackends(['reference', 'cpu', 'tfjs-wasm', 'onnx'], (n, why) =>
      skipped.push(`${n}: ${why}`),
    );
    expect(skipped).toEqual([]);
    const report = await runBench({ quick: true, backends, trainOn: 'wasm' });
    const workloads = new Set(report.rows.map((r) => r.workload));
    for (const w of [
      'copy',
      'compose',
      'merge',
      'forward',
      'mixed batch',
      'training step',
      'transformers.js generate',
      'adapter switch',
      'adapter store',
      'server load',
      'checkpoint',
      'merge at scale',
    ])
      expect(workloads.has(w), w).toBe(true);
    expect(new Set(report.rows.filter((r) => r.workload === 'compose').map((r) => r.backend))).toEqual(
      new Set(['reference', 'cpu', 'tfjs-wasm', 'onnxruntime-node']),
    );
    // the cpu backend also composes into reused arrays, from both kinds of input; and runs mixed batches of stable adapters
    const cases = report.rows.filter((r) => r.backend === 'cpu').map((r) => r.case);
    expect(cases.filter((c) => c.endsWith('into reused arrays'))).toHaveLength(2);
    expect(cases.filter((c) => c.endsWith('stable (prepared once)'))).toHaveLength(2);
    // generation: the tiny Llama with its adapter built in, and attached to a hot-swap folder in both variants
    const generate = report.rows.filter((r) => r.workload === 'transformers.js generate');
    for (const how of [
      'adapter built in (static)',
      'hot swap, A/B inputs (lowrank)',
      'hot swap, top-k inputs (topk)',
    ]) {
      expect(
        generate.filter((r) => r.case.includes(how)),
        how,
      ).toHaveLength(1);
    }
    expect(report.rows.filter((r) => r.workload === 'adapter switch')).toHaveLength(4);
    const md = reportMarkdown(report);
    expect(md).toMatch(/^# Benchmarks/);
    expect(md.split('\n').filter((l) => l.startsWith('| ')).length).toBe(report.rows.length + 1);
  }, 120_000);
});
