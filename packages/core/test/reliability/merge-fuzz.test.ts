import fc from 'fast-check';
import { existsSync, linkSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSafetensors, type DType } from '@vblora/core';
import { mergeCheckpoint, SHARD_INDEX_FILE } from '@vblora/core/node';
import { adapterSpecArb, buildAdapter, type AdapterSpec } from './helpers/adapter-builder.js';
import { fuzzRuns, fuzzTimeout, Outcomes, reportFuzz } from './helpers/budget.js';
import { baseFor, filled, mergeOutcome, writeDeclared, type DeclaredTensor } from './helpers/merge-fuzz-bases.js';
import { expectSnapshot, leftovers, shardName, snapshot } from './helpers/merge-fixtures.js';
import { prototypesAreClean } from './helpers/outcome.js';

// Structured fuzzing of mergeCheckpoint for the classes of issue #14: tensors repeated across shards and indexes
// that disagree with them (plus unsupported weight dtypes), outputs that alias the inputs, and bases whose
// headers declare shapes of any size (sparse or cut short). Each generated case knows its defect, so the property
// is exact: a merge, or the typed error the defect must cause; always the inputs byte-identical afterwards and
// no temporary or lock file left. Budget: VBLORA_FUZZ_RUNS runs per property (default 40, a few seconds).
const RUNS = fuzzRuns(40);
const SEED = 0x3e76_e14;
const tmp = mkdtempSync(join(tmpdir(), 'vblora-merge-fuzz-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(tmp, `c${++n}`);
const UNSUPPORTED: readonly DType[] = ['f64', 'i8', 'u8', 'i64', 'bool', 'f8_e4m3'];
const SMALL: AdapterSpec = {
  nv: 6,
  vl: 2,
  r: 2,
  k: 2,
  flavour: 'topk',
  dtype: 'f32',
  tiles: [
    [2, 1],
    [1, 3],
  ],
  withBias: true,
  seed: 5,
};

/** Runs one merge: its outcome; whatever it was, `folders` (those that exist) hold no temporary or lock file. */
async function merge(run: () => Promise<unknown>, outcomes: Outcomes, folders: readonly string[]): Promise<string> {
  const t0 = performance.now();
  let outcome = 'ok';
  try {
    await run();
  } catch (err) {
    outcome = mergeOutcome(err); // anything that is not a vblora.js error is re-thrown here
  }
  outcomes.add(outcome, performance.now() - t0);
  for (const f of folders)
    if (existsSync(f) && statSync(f).isDirectory()) expect(leftovers(f), `${outcome}: left in ${f}`).toEqual([]);
  return outcome;
}

const shardsArb = fc.record({
  spec: adapterSpecArb,
  shards: fc.integer({ min: 1, max: 3 }),
  seed: fc.integer({ min: 0, max: 2 ** 30 }),
  duplicate: fc.option(fc.nat(), { freq: 3 }),
  index: fc.oneof(
    { weight: 6, arbitrary: fc.constant('exact') },
    { weight: 1, arbitrary: fc.constantFrom('drop', 'remap', 'extra', 'missing-shard') },
  ),
  dtype: fc.option(fc.constantFrom(...UNSUPPORTED), { freq: 4 }),
});

describe('mergeCheckpoint fuzz: shards, indexes and dtypes', () => {
  it(
    `repeated tensors, disagreeing indexes, unsupported dtypes: a merge or the defect's typed error (${RUNS} runs, seed ${SEED})`,
    async () => {
      const outcomes = new Outcomes();
      const t0 = performance.now();
      await fc.assert(
        fc.asyncProperty(shardsArb, async (c) => {
          const adapter = buildAdapter(c.spec);
          const base = baseFor(adapter, c.dtype === null ? ['f32', 'bf16', 'f16'] : [c.dtype], c.seed);
          const names = [...base.keys()];
          const parts: string[][] = Array.from({ length: c.shards }, () => []);
          names.forEach((k, i) => parts[(i * 7 + c.seed) % c.shards]!.push(k));
          // each defect adds the outcomes it may cause (a duplicate or a missing shard may be met as an index mismatch first)
          const expected = new Set<string>();
          let defects = 0;
          const map: Record<string, string> = {};
          parts.forEach((p, s) => p.forEach((k) => (map[k] = shardName(s, c.shards))));
          if (c.duplicate !== null && c.shards > 1) {
            const k = names[c.duplicate % names.length]!;
            const home = parts.findIndex((p) => p.includes(k));
            parts[(home + 1) % c.shards]!.push(k);
            expected.add('CheckpointFormatError:duplicate-tensor').add('CheckpointFormatError:index-mismatch');
            defects++;
          }
          const victim = names[c.seed % names.length]!;
          if (c.index === 'drop') delete map[victim];
          if (c.index === 'remap' && c.shards > 1)
            map[victim] = shardName((parts.findIndex((p) => p.includes(victim)) + 1) % c.shards, c.shards);
          if (c.index === 'extra') map['model.layers.99.absent.weight'] = shardName(0, c.shards);
          if (c.index === 'missing-shard') map[victim] = 'model-absent.safetensors';
          if (c.index === 'drop' || c.index === 'extra' || (c.index === 'remap' && c.shards > 1)) {
            expected.add('CheckpointFormatError:index-mismatch');
            defects++;
          }
          if (c.index === 'missing-shard') {
            expected.add('AdapterError').add('CheckpointFormatError:index-mismatch');
            defects++;
          }
          if (c.dtype !== null) {
            expected.add('UnsupportedError');
            defects++;
          }
          const dir = fresh();
          mkdirSync(dir);
          parts.forEach((p, s) =>
            writeFileSync(
              join(dir, shardName(s, c.shards)),
              writeSafetensors(p.map((k) => [k, base.get(k)!] as const)),
            ),
          );
          writeFileSync(join(dir, SHARD_INDEX_FILE), JSON.stringify({ metadata: {}, weight_map: map }));
          const before = snapshot(dir);
          const out = fresh();
          let merged = -1;
          const outcome = await merge(
            async () => void ({ mergedModules: merged } = await mergeCheckpoint(adapter, dir, out, { threads: 1 })),
            outcomes,
            [out],
          );
          expectSnapshot(dir, before);
          if (defects === 0) {
            expect(outcome, JSON.stringify(c)).toBe('ok');
            expect(merged).toBe(adapter.modules.size);
          } else {
            // one defect: exactly its errors; several: whichever check comes first, but never a merge
            if (defects === 1) expect([...expected], `${JSON.stringify(c)} gave ${outcome}`).toContain(outcome);
            expect(outcome).not.toBe('ok');
            expect(existsSync(out)).toBe(false);
          }
        }),
        { seed: SEED, numRuns: RUNS },
      );
      reportFuzz('merge: shards, indexes, dtypes', SEED, RUNS, outcomes, performance.now() - t0);
      expect(prototypesAreClean()).toBe(true);
      expect(outcomes.slowestMs).toBeLessThan(5000);
    },
    fuzzTimeout(RUNS, 60),
  );
});

const TARGETS = ['fresh', 'inside', 'folder', 'folder-link', 'index', 'shard', 'shard-hardlink', 'adapter'] as const;

describe('mergeCheckpoint fuzz: outputs that alias inputs', () => {
  it(
    `every output choice merges or is refused with a typed error; the inputs never change (${RUNS} runs, seed ${SEED})`,
    async () => {
      const outcomes = new Outcomes();
      const t0 = performance.now();
      const adapter = buildAdapter(SMALL);
      await fc.assert(
        fc.asyncProperty(fc.boolean(), fc.constantFrom(...TARGETS), fc.nat(1000), async (sharded, target, seed) => {
          const base = baseFor(adapter, ['f32'], seed);
          const dir = fresh();
          mkdirSync(join(dir, 'adapter'), { recursive: true });
          const adapterFile = join(dir, 'adapter', 'adapter_model.safetensors');
          writeFileSync(adapterFile, 'adapter bytes');
          const names = [...base.keys()];
          const shards = sharded ? [names.slice(0, 3), names.slice(3)] : [names];
          const files = sharded ? [shardName(0, 2), shardName(1, 2)] : ['model.safetensors'];
          shards.forEach((p, i) =>
            writeFileSync(join(dir, files[i]!), writeSafetensors(p.map((k) => [k, base.get(k)!] as const))),
          );
          if (sharded)
            writeFileSync(
              join(dir, SHARD_INDEX_FILE),
              JSON.stringify({
                weight_map: Object.fromEntries(shards.flatMap((p, i) => p.map((k) => [k, files[i]!]))),
              }),
            );
          const before = snapshot(dir);
          const link = `${dir}-link`;
          symlinkSync(dir, link);
          const hard = join(fresh(), files[0]!);
          mkdirSync(join(hard, '..'));
          linkSync(join(dir, files[0]!), hard);
          const suffix = sharded ? '' : '.safetensors';
          const outside = fresh();
          mkdirSync(outside);
          const out = {
            fresh: join(outside, `out${suffix}`),
            inside: join(dir, `merged${suffix}`),
            folder: dir,
            'folder-link': link,
            index: join(dir, SHARD_INDEX_FILE),
            shard: join(dir, files[0]!),
            'shard-hardlink': hard,
            adapter: adapterFile,
          }[target];
          const outcome = await merge(
            () => mergeCheckpoint(adapter, dir, out, { threads: 1, inputFiles: [adapterFile] }),
            outcomes,
            [dir, outside, out],
          );
          for (const [name, bytes] of before)
            expect(snapshot(dir).get(name)?.equals(bytes), `${target}: ${name} changed`).toBe(true);
          const aliased = sharded ? ['folder', 'folder-link'] : ['shard', 'shard-hardlink', 'adapter'];
          if (aliased.includes(target)) expect(outcome, target).toBe('PathError:output-aliases-input');
          if (target === 'fresh' || target === 'inside') expect(outcome, target).toBe('ok');
        }),
        { seed: SEED, numRuns: RUNS },
      );
      reportFuzz('merge: aliased outputs', SEED, RUNS, outcomes, performance.now() - t0);
      expect(outcomes.get('PathError:output-aliases-input')).toBeGreaterThan(0);
    },
    fuzzTimeout(RUNS, 60),
  );
});

const dimArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 6 }).map(BigInt) },
  { weight: 2, arbitrary: fc.constantFrom(2n ** 31n, 2n ** 33n) },
  { weight: 1, arbitrary: fc.constantFrom(2n ** 53n, 2n ** 64n) },
);

describe('mergeCheckpoint fuzz: huge declared shapes in the base', () => {
  it(
    `declared sizes up to 2^64 (sparse or cut short): a merge, or a typed refusal before anything that size is allocated (${RUNS} runs, seed ${SEED})`,
    async () => {
      const outcomes = new Outcomes();
      const t0 = performance.now();
      const adapter = buildAdapter(SMALL);
      const budget = 2 ** 30;
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.tuple(fc.array(dimArb, { minLength: 1, maxLength: 3 }), fc.constantFrom<DType>('f32', 'bf16', 'i64')),
            { minLength: 1, maxLength: 3 },
          ),
          fc.boolean(),
          fc.boolean(),
          fc.nat(1000),
          async (decl, sparse, hugeWeight, seed) => {
            const base = baseFor(adapter, ['f32'], seed);
            const tensors: DeclaredTensor[] = [...base].map(([name, t]) => ({
              name,
              dtype: t.dtype,
              shape: t.shape.map(BigInt),
              data: t,
            }));
            if (hugeWeight) tensors[0] = { name: tensors[0]!.name, dtype: 'f32', shape: [2n ** 17n, 2n ** 17n] };
            decl.forEach(([shape, dtype], i) => {
              const size = shape.reduce((a, d) => a * d, 8n);
              tensors.push({
                name: `extra.${i}`,
                dtype,
                shape,
                ...(size <= 4096n ? { data: filled(dtype, shape.map(Number), seed + i) } : {}),
              });
            });
            const path = join(fresh(), 'base.safetensors');
            mkdirSync(join(path, '..'));
            const huge = tensors.some((t) => t.data === undefined);
            const declared = tensors.reduce((s, t) => s + t.shape.reduce((a, d) => a * d, 8n), 0n);
            const writeSparse = sparse && declared <= 2n ** 40n;
            writeDeclared(path, tensors, writeSparse);
            const before = process.memoryUsage().arrayBuffers;
            const out = join(path, '..', 'out.safetensors');
            const outcome = await merge(
              () => mergeCheckpoint(adapter, path, out, { threads: 1, maxMemoryBytes: budget }),
              outcomes,
              [join(path, '..')],
            );
            expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
            if (!huge) expect(outcome).toBe('ok');
            else expect(outcome).not.toBe('ok');
            if (huge && writeSparse && !hugeWeight && declared < 2n ** 53n)
              expect(outcome).toBe('ResourceLimitError:maxMemory');
            if (huge && writeSparse && hugeWeight) expect(outcome).toBe('ShapeError');
            if (!writeSparse && huge && declared < 2n ** 53n) expect(outcome).toMatch(/^CheckpointFormatError/);
          },
        ),
        { seed: SEED, numRuns: RUNS },
      );
      reportFuzz('merge: huge declared shapes', SEED, RUNS, outcomes, performance.now() - t0);
      expect(outcomes.slowestMs).toBeLessThan(5000);
    },
    fuzzTimeout(RUNS, 60),
  );
});
