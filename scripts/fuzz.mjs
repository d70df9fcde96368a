#!/usr/bin/env node
// The large fuzz run of issue #9: every loader fuzz target with a budget far above the one `npm test` uses
// (≥ 1,000,000 inputs in total), each target in its own vitest process with fixed seeds, then one table with
// inputs, time, peak memory and the outcome mix per target. docs/reliability.md records a run of this script.
//
//   node scripts/fuzz.mjs [--scale F] [--jobs N] [--only id,id] [--json out.json]
//
// --scale multiplies every budget (0.01 for a smoke run); --jobs runs that many targets at once (default 2).
// Exit status 0 only if every target passed. CI runs the same tests with their small default budgets.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/**
 * The targets: `runs` is the VBLORA_FUZZ_RUNS the file gets (runs per property), `properties` how many fuzz
 * properties the file runs, so inputs = runs × properties. The kill test counts kills (VBLORA_KILL_RUNS per writer).
 */
const TARGETS = [
  {
    id: 'config',
    file: 'packages/core/test/config/fuzz.test.ts',
    what: 'adapter_config.json parser: mutated golden configs',
    runs: 650_000,
    properties: 1,
  },
  {
    id: 'safetensors',
    file: 'packages/core/test/safetensors/fuzz.test.ts',
    what: 'safetensors reader: mutated golden files + generated headers',
    runs: 120_000,
    properties: 2,
  },
  {
    id: 'adapter-defects',
    file: 'packages/core/test/reliability/adapter-defects-fuzz.test.ts',
    what: 'adapter loader: generated adapters, one defect each',
    runs: 60_000,
    properties: 1,
  },
  {
    id: 'adapter-golden',
    file: 'packages/core/test/reliability/adapter-golden-mutation-fuzz.test.ts',
    what: 'adapter loader → describe → compose → convert → write: mutated golden adapters',
    runs: 40_000,
    properties: 1,
  },
  {
    id: 'topk-nan',
    file: 'packages/core/test/reliability/numerical-safety.test.ts',
    what: 'top-k files we write never reload as NaN in PEFT',
    runs: 20_000,
    properties: 1,
  },
  {
    id: 'cli',
    file: 'packages/cli/test/reliability/cli-bad-input-fuzz.test.ts',
    what: 'vblora inspect/compose/convert on mutated adapter dirs; aliased outputs, huge shapes, NaN/Inf, bidi names',
    runs: 10_000,
    properties: 2,
  },
  {
    id: 'merge',
    file: 'packages/core/test/reliability/merge-fuzz.test.ts',
    what: 'mergeCheckpoint: repeated shard tensors, disagreeing indexes, dtypes, aliased outputs, huge declared shapes',
    runs: 2_000,
    properties: 3,
  },
  {
    id: 'hostile-regex',
    file: 'packages/core/test/targeting/regex-fuzz.test.ts',
    what: 'module matching: hostile Python regexes (nested and overlapping repeats) on long names',
    runs: 30_000,
    properties: 1,
  },
  {
    id: 'onnx',
    file: 'packages/onnx/test/reliability/onnx-fuzz.test.ts',
    what: 'ONNX decode → map → merge → inject → write: mutated toy models; linked external data, aliased ranges',
    runs: 15_000,
    properties: 2,
  },
  {
    id: 'sigkill',
    file: 'packages/core/test/reliability/atomic-kill.test.ts',
    what: 'SIGKILL of a writer child at random moments',
    runs: 0,
    kills: 100,
    properties: 2,
  },
];

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    jobs: { type: 'string', default: '2' },
    only: { type: 'string' },
    json: { type: 'string' },
  },
});
const scale = Number(values.scale);
const jobs = Math.max(1, Number(values.jobs));
if (!(scale > 0)) throw new Error(`--scale must be a positive number, got ${values.scale}`);
const only = values.only?.split(',');
const targets = TARGETS.filter((t) => only === undefined || only.includes(t.id));
const tmp = mkdtempSync(join(tmpdir(), 'vblora-fuzz-'));

/** Largest resident set (MiB) among the processes below `root` (Linux /proc; 0 elsewhere): vitest's fork workers. */
function treeRssMiB(root) {
  if (process.platform !== 'linux') return 0;
  const parent = new Map();
  const rss = new Map();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      parent.set(Number(pid), Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]));
      rss.set(Number(pid), Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0) / 1024);
    } catch {
      // the process ended while we looked
    }
  }
  const below = (pid) => pid === root || (parent.has(pid) && pid !== 1 && below(parent.get(pid)));
  let max = 0;
  for (const [pid, mib] of rss) if (pid !== root && below(pid)) max = Math.max(max, mib);
  return max;
}

function runTarget(t) {
  const runs = Math.max(1, Math.round(t.runs * scale));
  const kills = t.kills === undefined ? undefined : Math.max(1, Math.round(t.kills * scale));
  const report = join(tmp, `${t.id}.jsonl`);
  const results = join(tmp, `${t.id}.json`);
  const env = { ...process.env, VBLORA_FUZZ_REPORT: report, TURBO_TELEMETRY_DISABLED: '1' };
  if (t.runs > 0) env.VBLORA_FUZZ_RUNS = String(runs);
  if (kills !== undefined) env.VBLORA_KILL_RUNS = String(kills);
  const args = ['vitest', 'run', t.file, '--testTimeout=0', '--reporter=json', `--outputFile=${results}`];
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn('npx', args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let peakMiB = 0;
    const poll = setInterval(() => (peakMiB = Math.max(peakMiB, treeRssMiB(child.pid))), 500);
    child.stderr.on('data', (d) => (stderr += d.toString()));
    child.on('exit', (code) => {
      clearInterval(poll);
      const seconds = (Date.now() - t0) / 1000;
      const lines = existsSync(report)
        ? readFileSync(report, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l))
        : [];
      let tests = [];
      if (existsSync(results)) {
        const json = JSON.parse(readFileSync(results, 'utf8'));
        tests = json.testResults.flatMap((f) =>
          f.assertionResults.map((a) => ({
            title: a.title,
            status: a.status,
            ms: a.duration,
            failure: a.failureMessages?.[0]?.slice(0, 2000),
          })),
        );
      }
      const inputs = t.runs > 0 ? runs * t.properties : lines.reduce((n, l) => n + l.runs, 0);
      const out = {
        ...t,
        runs: t.runs > 0 ? runs : undefined,
        kills,
        inputs,
        seconds,
        peakMiB: Math.round(peakMiB),
        ok: code === 0,
        tests,
        reports: lines,
        stderr: code === 0 ? '' : stderr.slice(-4000),
      };
      process.stderr.write(
        `${out.ok ? 'ok  ' : 'FAIL'} ${t.id}: ${inputs.toLocaleString('en-US')} inputs in ${seconds.toFixed(0)} s\n`,
      );
      resolve(out);
    });
  });
}

const queue = [...targets];
const done = [];
await Promise.all(
  Array.from({ length: Math.min(jobs, queue.length) }, async () => {
    while (queue.length > 0) {
      done.push(await runTarget(queue.shift()));
      // keep what finished so far, so an interrupted long run still leaves its numbers
      if (values.json !== undefined)
        writeFileSync(values.json, `${JSON.stringify({ partial: true, scale, done }, null, 2)}\n`);
    }
  }),
);
rmSync(tmp, { recursive: true, force: true });
const results = targets.map((t) => done.find((d) => d.id === t.id));

const fmt = (n) => n.toLocaleString('en-US');
const lines = [
  '| target | what | budget | inputs | time | peak RSS (largest process) | result |',
  '|---|---|---|---:|---:|---:|---|',
  ...results.map((r) => {
    const rss = r.peakMiB > 0 ? `${r.peakMiB} MiB` : '—';
    const budget = r.kills !== undefined ? `${r.kills} kills × 2 writers` : `${fmt(r.runs)} × ${r.properties}`;
    return `| ${r.id} | ${r.what} | ${budget} | ${fmt(r.inputs)} | ${r.seconds.toFixed(0)} s | ${rss} | ${
      r.ok ? 'pass' : 'FAIL'
    } |`;
  }),
  `| **total** | | | **${fmt(results.reduce((n, r) => n + r.inputs, 0))}** | ${results
    .reduce((n, r) => n + r.seconds, 0)
    .toFixed(0)} s | | ${results.every((r) => r.ok) ? 'pass' : 'FAIL'} |`,
];
process.stdout.write(`${lines.join('\n')}\n`);
for (const r of results) {
  for (const rep of r.reports) {
    const slowest = rep.slowestMs > 0 ? `, slowest input ${rep.slowestMs} ms` : '';
    process.stdout.write(
      `\n${rep.target} (seed ${rep.seed}, ${fmt(rep.runs)} runs${slowest}, worker max RSS ${rep.maxRssMiB} MiB):\n`,
    );
    for (const [k, v] of Object.entries(rep.outcomes)) process.stdout.write(`  ${fmt(v).padStart(9)}  ${k}\n`);
  }
  if (!r.ok)
    process.stdout.write(
      `\n${r.id} FAILED:\n${r.tests
        .filter((x) => x.status !== 'passed')
        .map((x) => `${x.title}\n${x.failure}`)
        .join('\n')}\n${r.stderr}\n`,
    );
}
if (values.json !== undefined)
  writeFileSync(
    values.json,
    `${JSON.stringify({ scale, jobs, date: new Date().toISOString(), node: process.version, results }, null, 2)}\n`,
  );
process.exit(results.every((r) => r.ok) ? 0 : 1);
