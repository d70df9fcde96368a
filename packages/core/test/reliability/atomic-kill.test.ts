import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterFromFiles, createRng, toTopkAdapter } from '@vblora/core';
import { readAdapterDir, writeAdapterDir, writeFileAtomic } from '@vblora/core/node';
import { Outcomes, reportFuzz } from './helpers/budget.js';
import { transpileCore } from './helpers/child-core.js';
import { GOLDEN_ADAPTERS } from './helpers/golden-adapters.js';
import { runAndKill } from './helpers/kill-run.js';
import { versionBytes, versionOf } from './helpers/kill-versions.mjs';

// No data lost: a child `node` process writes a destination over and over through our real writers and is killed
// with SIGKILL at seeded random moments. After every kill the destination holds one complete version (the old
// one or a newer one, never a partial file), the only other file is the dead writer's hidden temp file, and the
// next write to the destination removes that. Budget: VBLORA_KILL_RUNS kills per writer (default 4; the loop
// goes on, up to 4× that, until at least one kill has landed in the middle of a write). Seed fixed below.
const RUNS = Number(process.env['VBLORA_KILL_RUNS'] ?? 4);
const SEED = 0x5191_c111;
const SIZE = 4 * 2 ** 20; // big enough that most of a writer's time is spent writing and syncing

let tmp: string;
let atomicJs: string;
let adapterDirJs: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'vblora-kill-'));
  [atomicJs, adapterDirJs] = transpileCore(join(tmp, 'core'), ['node/atomic-write.ts', 'node/adapter-dir.ts']) as [
    string,
    string,
  ];
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const tempOf = (pid: number, base: string): RegExp =>
  new RegExp(`^\\.vblora-tmp-${pid}-[0-9a-f]{8}-${base.replace('.', '\\.')}$`);

describe('SIGKILL during an atomic write loses nothing', () => {
  it(
    `writeFileAtomic: the destination is always one complete version (seed ${SEED})`,
    async () => {
      const dir = join(tmp, 'file');
      mkdirSync(dir);
      const target = join(dir, 'merged.safetensors');
      writeFileSync(target, versionBytes(0, SIZE));
      const rng = createRng(SEED);
      const outcomes = new Outcomes();
      const t0 = performance.now();
      let midWrite = 0;
      let kills = 0;
      for (; kills < RUNS * 4 && (kills < RUNS || midWrite === 0); kills++) {
        const { pid, lastDone } = await runAndKill(
          ['file', atomicJs, target, String(SIZE)],
          Math.floor(rng.uniform() * 3),
          rng.uniform() * 40,
        );
        const version = versionOf(new Uint8Array(readFileSync(target)));
        expect(version, `kill ${kills}: destination is not a complete version`).toBeGreaterThanOrEqual(0);
        // the last reported version, or the next one if the kill came between its rename and its report
        expect([lastDone, lastDone + 1], `kill ${kills}`).toContain(version);
        const others = readdirSync(dir).filter((n) => n !== 'merged.safetensors');
        expect(others.length, `kill ${kills}: ${others.join(', ')}`).toBeLessThanOrEqual(1);
        for (const name of others) expect(name).toMatch(tempOf(pid, 'merged.safetensors'));
        midWrite += others.length;
        outcomes.add(
          others.length > 0 ? 'killed mid-write: old or new version intact, temp file swept' : 'killed between writes',
        );
        // The next write replaces the destination and sweeps the dead writer's temp file.
        await writeFileAtomic(target, versionBytes(0, SIZE));
        expect(readdirSync(dir)).toEqual(['merged.safetensors']);
      }
      expect(midWrite, `no kill out of ${kills} landed mid-write`).toBeGreaterThan(0);
      reportFuzz('SIGKILL during writeFileAtomic (4 MiB files)', SEED, kills, outcomes, performance.now() - t0);
    },
    Math.max(120_000, RUNS * 4 * 3000),
  );

  it(
    `writeAdapterDir: both files are always complete, and the directory always loads (seed ${SEED + 1})`,
    async () => {
      const full = GOLDEN_ADAPTERS.find((g) => g.id === 'llama_f32_vl16_nv64_top2/adapter_full')!;
      const srcA = join(tmp, 'src-full');
      const srcB = join(tmp, 'src-topk');
      const a = adapterFromFiles(full).adapter;
      await writeAdapterDir(srcA, a);
      await writeAdapterDir(srcB, toTopkAdapter(a).adapter);
      const files = ['adapter_config.json', 'adapter_model.safetensors'];
      const versions = (f: string): Buffer[] => [readFileSync(join(srcA, f)), readFileSync(join(srcB, f))];
      const target = join(tmp, 'adapter-out');
      await writeAdapterDir(target, a);
      const rng = createRng(SEED + 1);
      const outcomes = new Outcomes();
      const t0 = performance.now();
      let midWrite = 0;
      let kills = 0;
      for (; kills < RUNS * 4 && (kills < RUNS || midWrite === 0); kills++) {
        const { pid } = await runAndKill(
          ['adapter', adapterDirJs, target, srcA, srcB],
          1 + Math.floor(rng.uniform() * 4),
          rng.uniform() * 3,
        );
        for (const f of files) {
          const bytes = readFileSync(join(target, f));
          expect(
            versions(f).some((v) => v.equals(bytes)),
            `kill ${kills}: ${f} is not a complete version`,
          ).toBe(true);
        }
        const others = readdirSync(target).filter((n) => !files.includes(n));
        for (const name of others) expect(name).toMatch(new RegExp(`^\\.vblora-tmp-${pid}-`));
        midWrite += others.length;
        outcomes.add(others.length > 0 ? 'killed mid-write: files intact, temp file swept' : 'killed between writes');
        expect((await readAdapterDir(target)).adapter.modules.size).toBe(a.modules.size);
        await writeAdapterDir(target, a);
        expect(readdirSync(target).sort()).toEqual(files);
      }
      expect(midWrite, `no kill out of ${kills} landed mid-write`).toBeGreaterThan(0);
      reportFuzz('SIGKILL during writeAdapterDir', SEED + 1, kills, outcomes, performance.now() - t0);
    },
    Math.max(120_000, RUNS * 4 * 3000),
  );
});
