/**
 * ONNX workload of `npm run bench` (docs/benchmarks.md): injected-adapter inference vs the base model vs the merged
 * model on onnxruntime-node, and adapter-switch latency. Every configuration is timed once per round, round-robin,
 * so machine noise hits all of them alike; the tables show medians over the rounds.
 *
 * Run: `node apps/bench/dist/package-script.js onnx-inject [--layers 4] [--hidden 1024] [--inter 2816] [--seq 64]
 * [--threads 2] [--runs 30]` (after `npm run build`).
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  AdapterSession,
  createOnnxBackend,
  decodeOnnxModel,
  injectAdapterInputs,
  mergeOnnxModel,
  prepareAdapter,
  stackFeeds,
  writeOnnxModel,
} from '@vblora/onnx';
import { llamaModel, randomAdapter } from './onnx-synthetic.js';

type Feeds = Record<string, ort.Tensor>;
type Output = { readonly data: ArrayLike<number> };

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const maxDiff = (a: Output, b: Output): number => {
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
};
const ms = async (fn: () => unknown): Promise<number> => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};
const outputY = (r: Record<string, unknown>): Output => r['y'] as Output;

/** Runs the benchmark with `argv` (the options above) and prints its tables to stdout. */
export async function onnxInjectBench(argv: readonly string[]): Promise<void> {
  const arg = (name: string, fallback: number): number => {
    const i = argv.indexOf(`--${name}`);
    return i < 0 ? fallback : Number(argv[i + 1]);
  };
  const shape = { h: arg('hidden', 1024), inter: arg('inter', 2816), layers: arg('layers', 4) };
  const seq = arg('seq', 64);
  const threads = arg('threads', 2);
  const rounds = arg('runs', 30);
  const sessionOptions = { logSeverityLevel: 3, intraOpNumThreads: threads, interOpNumThreads: 1 } as const;
  const dir = mkdtempSync(join(tmpdir(), 'vblora-onnx-bench-'));
  const input = (batch: number): Feeds => {
    const data = new Float32Array(batch * seq * shape.h);
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37) * 0.5;
    return { x: new ort.Tensor('float32', data, [batch, seq, shape.h]) };
  };

  try {
    const baseBytes = llamaModel(shape);
    const basePath = join(dir, 'base.onnx');
    writeFileSync(basePath, baseBytes);
    const adapterA = randomAdapter({ ...shape, seed: 7, name: 'a' });
    const adapterB = randomAdapter({ ...shape, seed: 8, name: 'b' });
    const backend = createOnnxBackend({ sessionOptions });

    const mergeRef = await ms(() =>
      mergeOnnxModel(decodeOnnxModel(baseBytes.slice(), { ownsBytes: true }), adapterA, join(dir, 'merged.onnx')),
    );
    const mergeOrt = await ms(() =>
      mergeOnnxModel(decodeOnnxModel(baseBytes.slice(), { ownsBytes: true }), adapterA, join(dir, 'merged-ort.onnx'), {
        backend,
      }),
    );
    const stackMs: Record<string, { one: number; mixed: number }> = {};
    for (const variant of ['lowrank', 'topk'] as const) {
      const injected = await injectAdapterInputs(decodeOnnxModel(baseBytes), { adapter: adapterA, variant });
      await writeOnnxModel(injected.model, join(dir, `injected-${variant}.onnx`));
      // host-side cost of a run's adapter inputs when not cached: one adapter; two adapters and an empty slot
      const [pa, pb] = [
        await prepareAdapter(injected.info, 'a', adapterA, backend),
        await prepareAdapter(injected.info, 'b', adapterB, backend),
      ];
      const timeStack = (slots: Parameters<typeof stackFeeds>[1]): number =>
        median(
          Array.from({ length: 50 }, () => {
            const t0 = performance.now();
            stackFeeds(injected.info, slots);
            return performance.now() - t0;
          }),
        );
      stackMs[variant] = { one: timeStack([pa]), mixed: timeStack([pa, pb, null]) };
    }
    const base = await ort.InferenceSession.create(basePath, sessionOptions);
    let merged: ort.InferenceSession | undefined;
    const sessionMs = await ms(
      async () => (merged = await ort.InferenceSession.create(join(dir, 'merged.onnx'), sessionOptions)),
    );
    const mergedSession = merged!;
    const sessions: Record<string, AdapterSession> = {};
    const loadMs: Record<string, number> = {};
    for (const variant of ['lowrank', 'topk']) {
      const s = await AdapterSession.create(join(dir, `injected-${variant}.onnx`), { sessionOptions, backend });
      loadMs[variant] = await ms(() => s.loadAdapter('a', adapterA));
      await s.loadAdapter('b', adapterB);
      sessions[variant] = s;
    }
    const one = input(1);
    const four = input(4);
    const yBase = outputY(await base.run(one));
    const yMerged = outputY(await mergedSession.run(one));
    const checks: Record<string, { adapter: number; none: number }> = {};
    for (const [v, s] of Object.entries(sessions)) {
      checks[v] = {
        adapter: maxDiff(outputY(await s.run(one, { adapter: 'a' })), yMerged),
        none: maxDiff(outputY(await s.run(one)), yBase),
      };
    }

    let flip = 0;
    const configs: Record<string, () => Promise<unknown>> = {
      'base model': () => base.run(one),
      'merged model': () => mergedSession.run(one),
      ...Object.fromEntries(
        Object.entries(sessions).flatMap(([v, s]) => [
          [`injected ${v}: adapter a`, () => s.run(one, { adapter: 'a' })],
          [`injected ${v}: no adapter`, () => s.run(one)],
          [`injected ${v}: a/b alternating`, () => s.run(one, { adapter: flip++ % 2 === 0 ? 'a' : 'b' })],
          [`injected ${v}: batch 4, adapter a`, () => s.run(four, { adapter: 'a' })],
          [`injected ${v}: batch 4, rows a/b/none/a`, () => s.run(four, { rows: ['a', 'b', null, 'a'] })],
        ]),
      ),
      'base model, batch 4': () => base.run(four),
    };
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(configs).map((k) => [k, []]));
    for (let round = -2; round < rounds; round++) {
      for (const [k, fn] of Object.entries(configs)) {
        const t = await ms(fn);
        if (round >= 0) times[k]!.push(t);
      }
    }
    const med: Record<string, number> = Object.fromEntries(Object.entries(times).map(([k, t]) => [k, median(t)]));
    const b1 = med['base model']!;
    const b4 = med['base model, batch 4']!;

    const params = shape.layers * (4 * shape.h * shape.h + 2 * shape.h * shape.inter);
    console.log(
      `model: ${shape.layers} layers, hidden ${shape.h}, intermediate ${shape.inter} (${(params / 1e6).toFixed(1)}M linear params), seq ${seq}`,
    );
    console.log(`adapters: r 4, nv 2048, vl 256, k 2 on q/v/up/down (${shape.layers * 4} modules)`);
    console.log(
      `onnxruntime-node ${ort.env.versions?.common ?? ''}, ${threads} intra-op threads, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}`,
    );
    console.log(`medians of ${rounds} round-robin rounds after 2 warm-up rounds\n`);
    console.log('| run | ms | vs base | note |\n|---|---:|---:|---|');
    for (const [k, m] of Object.entries(med)) {
      const ref = k.includes('batch 4') ? b4 : b1;
      const v = k.split(':')[0]!.replace('injected ', '');
      const check = checks[v];
      let note = '';
      if (k.endsWith(': adapter a') && check) note = `max |y − merged| = ${check.adapter.toExponential(1)}`;
      if (k.endsWith(': no adapter') && check) note = `max |y − base| = ${check.none.toExponential(1)}`;
      if (k.endsWith('alternating')) note = `switch cost ≈ ${(m - med[`injected ${v}: adapter a`]!).toFixed(1)} ms/run`;
      console.log(`| ${k} | ${m.toFixed(1)} | ${(m / ref).toFixed(2)}× | ${note} |`);
    }
    console.log('\n| one-off cost | ms |\n|---|---:|');
    for (const [v, t] of Object.entries(loadMs))
      console.log(`| AdapterSession.loadAdapter, ${v} (compose/select once, onnxruntime backend) | ${t.toFixed(1)} |`);
    for (const [v, t] of Object.entries(stackMs)) {
      console.log(`| adapter inputs of a run, ${v}, uncached: one adapter | ${t.one.toFixed(2)} |`);
      console.log(`| adapter inputs of a run, ${v}, uncached: mix of 2 adapters + none | ${t.mixed.toFixed(2)} |`);
    }
    console.log(`| switch by re-merging: mergeOnnxModel, reference kernels | ${mergeRef.toFixed(0)} |`);
    console.log(`| switch by re-merging: mergeOnnxModel, onnxruntime kernels | ${mergeOrt.toFixed(0)} |`);
    console.log(`| switch by re-merging: + new InferenceSession | ${sessionMs.toFixed(0)} |`);
    for (const s of Object.values(sessions)) await s.release();
    await base.release();
    await mergedSession.release();
    await backend.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
