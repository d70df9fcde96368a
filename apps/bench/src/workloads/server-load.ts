/**
 * Load on the reference server (`@vblora/server-app`) over loopback with autocannon, bounded in request count and
 * in time: the same load on 1,000 distinct adapters (synthetic variants of the tiny Llama fixture's adapter, every
 * one cold when the run starts) against one adapter. Target: throughput ≥ 0.8× the one-adapter run's.
 *
 * The cold compose of a 7B-shaped adapter is timed by the adapter-store workload (p99 target ≤ 20 ms); here the
 * compose is of the tiny adapter, and its p99 comes from the server's own `vblora_compose_seconds` histogram.
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyLlamaPath } from '@vblora/conformance/fixtures';
import { createServer, writeAdapterVariants } from '@vblora/server-app';
import type { Backend } from '@vblora/core';
import type { BenchRow } from '../result.js';

/** The part of autocannon's API used here (the package ships no types). */
interface CannonResult {
  readonly requests: { readonly average: number; readonly total: number };
  readonly latency: { readonly p50: number; readonly p99: number };
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
}
interface CannonOptions {
  readonly url: string;
  readonly connections: number;
  readonly amount: number;
  readonly timeout: number;
  readonly requests: readonly {
    readonly method: 'POST';
    readonly headers: Record<string, string>;
    readonly setupRequest: (req: Record<string, unknown>) => Record<string, unknown>;
  }[];
}
interface CannonInstance extends PromiseLike<CannonResult> {
  stop(): void;
  on(event: 'response', listener: () => void): void;
}
type Autocannon = (options: CannonOptions) => CannonInstance;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** Options of {@link serverLoadWorkload}. */
export interface ServerLoadOptions {
  /** Distinct adapters of the many-adapter run (default 1,000). */
  readonly adapters?: number;
  /** Requests per run (the bound in count); the many-adapter run sends `requests / adapters` to each. */
  readonly requests: number;
  /** Longest a run may take, seconds (the bound in time): the run is stopped there and reported as such. */
  readonly maxSeconds: number;
  /** Rounds of runs (one adapter, all of them in turn, all of them once; each on a fresh server) (default 3). */
  readonly pairs?: number;
  /** Concurrent connections (default 16). */
  readonly connections?: number;
  /** New tokens per request (default 8). */
  readonly newTokens?: number;
  /** Backend that composes adapters in the server (default: core's reference kernels). */
  readonly backend?: Backend;
  readonly log?: (message: string) => void;
}

interface RunFigures {
  readonly rps: number;
  /** CPU time of this process (server, ONNX Runtime's threads and the load generator) per request. */
  readonly cpuMsPerRequest: number;
  readonly p50: number;
  readonly p99: number;
  readonly total: number;
  readonly seconds: number;
  readonly failed: number;
  readonly stopped: boolean;
  readonly composes: number;
  readonly composeP99Ms: number;
  readonly composeMeanMs: number;
}

/** The `q` quantile of a Prometheus histogram, as the upper bound of the bucket it falls in (ms). */
function histogramQuantileMs(text: string, name: string, q: number): number {
  const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`, 'gm'))].map((m) => ({
    le: m[1] === '+Inf' ? Infinity : Number(m[1]),
    n: Number(m[2]),
  }));
  const count = buckets.at(-1)?.n ?? 0;
  if (count === 0) return NaN;
  return buckets.find((b) => b.n >= q * count)!.le * 1000;
}

async function loadRun(
  adaptersDir: string,
  cacheDir: string,
  ids: readonly string[],
  o: ServerLoadOptions,
): Promise<RunFigures> {
  // every adapter is read into memory at startup (the server's default): a cold adapter costs its compose
  const app = await createServer({
    adaptersDir,
    cacheDir,
    templateAdapters: [ids[0]!],
    ...(o.backend === undefined ? {} : { backend: o.backend }),
  });
  try {
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const prompt = 'at night the old man';
    const bodies = ids.map((id) => JSON.stringify({ adapter_id: id, prompt, max_new_tokens: o.newTokens ?? 8 }));
    let next = 0;
    const instance = autocannon({
      url: `${address}/generate`,
      connections: o.connections ?? 16,
      amount: o.requests,
      timeout: o.maxSeconds,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          // adapters in turn: with 1,000 of them each is cold at its first request
          setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }),
        },
      ],
    });
    let stopped = false;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    // autocannon settles on its next one-second tick: the run ends at its last response
    let last = t0;
    let cpu = process.cpuUsage(cpu0);
    instance.on('response', () => {
      last = performance.now();
      cpu = process.cpuUsage(cpu0);
    });
    const timer = setTimeout(() => {
      stopped = true;
      instance.stop();
    }, o.maxSeconds * 1000);
    const r = await instance;
    const seconds = (last - t0) / 1000;
    clearTimeout(timer);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const composes = Number(/^vblora_compose_seconds_count (\S+)$/m.exec(metrics)?.[1] ?? 0);
    const composeSeconds = Number(/^vblora_compose_seconds_sum (\S+)$/m.exec(metrics)?.[1] ?? 0);
    return {
      rps: r.requests.total / seconds,
      cpuMsPerRequest: (cpu.user + cpu.system) / 1000 / r.requests.total,
      p50: r.latency.p50,
      p99: r.latency.p99,
      total: r.requests.total,
      seconds,
      failed: r.errors + r.timeouts + r.non2xx,
      stopped,
      composes,
      composeP99Ms: histogramQuantileMs(metrics, 'vblora_compose_seconds', 0.99),
      composeMeanMs: composes === 0 ? NaN : (composeSeconds / composes) * 1000,
    };
  } finally {
    await app.close();
  }
}

/** The median (an element of `xs`: the lower middle one for an even count). */
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]!;

const fmt = (r: RunFigures): string =>
  `${r.rps.toFixed(1)} req/s (${r.total} requests in ${r.seconds.toFixed(1)} s${r.stopped ? ', stopped at the time bound' : ''}), ` +
  `latency p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms, ${r.cpuMsPerRequest.toFixed(2)} CPU ms/request` +
  `${r.failed > 0 ? `, ${r.failed} failed` : ''}`;

/**
 * Four rows: the one-adapter run; the many-adapter run (the adapters in turn, `requests / adapters` requests each,
 * the first one cold) with its throughput as a ratio of the first (target ≥ 0.8), by wall clock and by CPU time
 * per request (this process's: server, ONNX Runtime's threads and the load generator — steadier than wall clock
 * on a machine shared with other work); and, without a target, one request per adapter (every request cold).
 * Each ratio is the median over alternating rounds. The adapters are written to a folder this workload creates
 * (mkdtemp) and removes.
 */
export async function serverLoadWorkload(o: ServerLoadOptions): Promise<BenchRow[]> {
  const work = await mkdtemp(join(tmpdir(), 'vblora-bench-server-'));
  try {
    const count = o.adapters ?? 1000;
    o.log?.(`server load: writing ${count} adapters`);
    const dir = join(work, 'adapters');
    const ids = await writeAdapterVariants(tinyLlamaPath('adapters', 'vblora-b'), dir, count);
    const cache = join(work, 'cache');
    // warm-up (JIT, the hot-swap folder built once into the cache); then rounds, alternating, so every side sees
    // the same machine: one adapter, all of them in turn, all of them once (each run on a fresh server: cold)
    await loadRun(dir, cache, ids.slice(0, 1), { ...o, requests: Math.min(o.requests, 64) });
    const rounds: [RunFigures, RunFigures, RunFigures][] = [];
    for (let p = 0; p < (o.pairs ?? 3); p++) {
      o.log?.(`server load: round ${p + 1}, one adapter`);
      const a = await loadRun(dir, cache, ids.slice(0, 1), o);
      o.log?.(`server load: round ${p + 1}, ${count} adapters`);
      const b = await loadRun(dir, cache, ids, o);
      o.log?.(`server load: round ${p + 1}, ${count} adapters once each`);
      rounds.push([a, b, await loadRun(dir, cache, ids, { ...o, requests: count })]);
    }
    const wall = rounds.map(([a, b]) => b.rps / a.rps);
    const cpu = rounds.map(([a, b]) => a.cpuMsPerRequest / b.cpuMsPerRequest);
    const coldWall = rounds.map(([a, , c]) => c.rps / a.rps);
    // the round whose wall-clock ratio is the median is the one shown
    const [one, many, cold] = rounds[wall.indexOf(median(wall))]!;
    const base = { workload: 'server load', backend: 'onnxruntime-node' };
    const how =
      `tiny Llama fp32, POST /generate ${o.newTokens ?? 8} new tokens, ${o.connections ?? 16} connections, loopback, ` +
      `composed by ${o.backend?.name ?? 'reference'}`;
    const list = (xs: readonly number[]): string => xs.map((x) => x.toFixed(2)).join(', ');
    const composes = (r: RunFigures): string =>
      `${r.composes} composes (tiny adapter: mean ${r.composeMeanMs.toFixed(1)} ms, p99 ≤ ${r.composeP99Ms.toFixed(0)} ms ` +
      'by histogram bucket; 7B-shaped: the adapter-store rows)';
    const per = Math.round(o.requests / count);
    const many_ = `${count} distinct adapters in turn, ${per} requests each (the first cold)`;
    return [
      { ...base, case: `one adapter (${how})`, value: fmt(one) },
      {
        ...base,
        case: `${many_} (${how})`,
        value: `${fmt(many)}; ${composes(many)}`,
        ratio: median(wall),
        ratioOf: `of the one-adapter throughput (median of ${rounds.length} alternating rounds: ${list(wall)})`,
        target: 0.8,
      },
      {
        ...base,
        case: `${many_}, by CPU time per request`,
        value: `${many.cpuMsPerRequest.toFixed(2)} vs ${one.cpuMsPerRequest.toFixed(2)} CPU ms/request`,
        ratio: median(cpu),
        ratioOf: `of the one-adapter throughput per CPU second (median of ${rounds.length} rounds: ${list(cpu)})`,
        target: 0.8,
      },
      {
        ...base,
        case: `${count} distinct adapters, one request each (every request cold)`,
        value: `${fmt(cold)}; ${composes(cold)}`,
        ratio: median(coldWall),
        ratioOf: `of the one-adapter throughput (median of ${rounds.length} rounds: ${list(coldWall)})`,
      },
    ];
  } finally {
    // our own mkdtemp folder: the adapters and the hot-swap model written above, nothing else
    await rm(work, { recursive: true, force: true });
  }
}
