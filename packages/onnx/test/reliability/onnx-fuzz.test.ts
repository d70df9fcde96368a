import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ResourceLimitError, VBLoRAError, type VBLoRAAdapter } from '@vblora/core';
import { PEFT_GOLDEN_CASES } from '@vblora/conformance';
import {
  decodeOnnxModel,
  encodeOnnxModel,
  injectAdapterInputs,
  mapGraphModules,
  mergeOnnxModel,
  OnnxModelError,
  readOnnxModel,
  writeOnnxModel,
  type InjectOptions,
} from '@vblora/onnx';
import { fuzzRuns, fuzzTimeout, Outcomes, reportFuzz } from '../../../core/test/reliability/helpers/budget.js';
import { prototypesAreClean } from '../../../core/test/reliability/helpers/outcome.js';
import { toyModelBytes } from '../fixtures/toy-models.js';
import { goldenAdapter } from '../helpers/golden.js';
import { tempDir } from '../helpers/tmp.js';
import { aliasMutation, linkMutation, makeLinks } from './helpers/link-mutations.js';
import { filesWithSecret, writeSecret } from './helpers/model-folder.js';
import { modelMutation } from './helpers/onnx-mutations.js';

// Mutation fuzzing of the ONNX loader, module mapping, merge and inject: the toy models of the 5 golden cases in
// both export styles (inline, and with external data beside the model), with 0–3 byte- or protobuf-level
// mutations each. Property: every stage returns or throws a typed vblora.js error, within bounded time and memory
// (a declared 2⁴⁰-element tensor fails fast); what merge and inject write decodes again. Budget:
// VBLORA_FUZZ_RUNS (default 100, ~3 s).
const RUNS = fuzzRuns(100);
const SEED = 20_251_130;
/** A stage slower than this is a hang (toy models take a few ms; the CI machine is slow and shared). */
const SLOW_MS = 2000;
/**
 * Plus this long per byte a stage legitimately writes: the output bound lets a merge of many aliased ranges
 * write up to 2 × the input + 64 MiB, which a loaded shared disk writes and syncs at well over 16 MiB/s.
 */
const MS_PER_WRITTEN_BYTE = 1000 / (16 * 2 ** 20);
/** ArrayBuffer memory a stage may hold on top of the toy model's: a declared huge tensor must never be allocated. */
const MAX_ARRAY_BUFFERS = 256 * 2 ** 20;

interface Base {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** Folder of the model's external data file, or null for an inline model. */
  readonly baseDir: string | null;
  /** Name of its external data file in `baseDir` (external bases only). */
  readonly dataFile: string | null;
  readonly adapter: VBLoRAAdapter;
}

/** The outcome name of a typed error; anything else is re-thrown, which is what the fuzzer hunts. */
function typedOutcome(err: unknown): string {
  if (err instanceof OnnxModelError) return `${err.name}:${err.rule}`;
  if (err instanceof ResourceLimitError) return `${err.name}:${err.limit}`;
  if (err instanceof VBLoRAError) return err.name;
  throw err;
}

async function stage<T>(
  outcomes: Outcomes,
  name: string,
  fn: () => T | Promise<T>,
  written: () => number = () => 0,
): Promise<T | undefined> {
  const t0 = performance.now();
  let value: T | undefined;
  let outcome = 'ok';
  try {
    value = await fn();
  } catch (err) {
    outcome = typedOutcome(err);
  }
  const ms = performance.now() - t0;
  outcomes.add(`${name}:${outcome}`, ms);
  const bytes = written();
  expect(ms, `${name} took ${ms.toFixed(0)} ms (${outcome}, ${bytes} bytes written)`).toBeLessThan(
    SLOW_MS + bytes * MS_PER_WRITTEN_BYTE,
  );
  expect(process.memoryUsage().arrayBuffers, `${name} holds too much memory`).toBeLessThan(MAX_ARRAY_BUFFERS);
  return value;
}

const caseArb = fc.record({
  base: fc.nat(),
  mutations: fc.array(modelMutation, { minLength: 0, maxLength: 3 }),
  ownsBytes: fc.boolean(),
  inject: fc.constantFrom<'lowrank' | 'topk' | 'modules'>('lowrank', 'topk', 'modules'),
});

describe('ONNX loader and injector: mutated toy models', () => {
  const dir = tempDir('fuzz');
  const bases: Base[] = [];
  let secret = '';

  beforeAll(async () => {
    const models = join(dir, 'models');
    mkdirSync(models);
    // a real file just outside the model folder, which `../outside.bin` locations must not reach
    writeFileSync(join(dir, 'outside.bin'), new Uint8Array(4096));
    for (const c of PEFT_GOLDEN_CASES) {
      const adapter = await goldenAdapter(c);
      for (const style of ['torch', 'named'] as const) {
        const bytes = toyModelBytes(c, { style });
        bases.push({ name: `${c}/${style}`, bytes, baseDir: null, dataFile: null, adapter });
        const path = join(models, `${c}-${style}.onnx`);
        await writeOnnxModel(decodeOnnxModel(bytes), path, {
          externalData: { threshold: 1024 },
        });
        const ext = new Uint8Array(await readFile(path));
        bases.push({
          name: `${c}/${style}/external`,
          bytes: ext,
          baseDir: models,
          dataFile: `${c}-${style}.onnx.data`,
          adapter,
        });
      }
    }
    // issue #14: a secret outside the model folder, as long as any data file, and links to it (and inside) in it
    const secretDir = join(dir, 'secret');
    mkdirSync(secretDir);
    const longest = Math.max(...bases.map((b) => (b.dataFile === null ? 0 : statSync(join(models, b.dataFile)).size)));
    secret = writeSecret(join(secretDir, 'secret.bin'), longest);
    makeLinks(
      models,
      secret,
      secretDir,
      bases.flatMap((b) => (b.dataFile === null ? [] : [b.dataFile])),
    );
  });

  it(
    `decode → map → merge → inject return or throw typed errors, fast and bounded (${RUNS} runs, seed ${SEED})`,
    async () => {
      const outcomes = new Outcomes();
      const out = join(dir, 'out');
      mkdirSync(out);
      const t0 = performance.now();
      await fc.assert(
        fc.asyncProperty(caseArb, async ({ base, mutations, ownsBytes, inject }) => {
          const b = bases[base % bases.length]!;
          const bytes = mutations.reduce((acc, m) => m(acc), b.bytes);
          const decode = (): ReturnType<typeof decodeOnnxModel> =>
            decodeOnnxModel(bytes.slice(), { baseDir: b.baseDir, ownsBytes });
          const model = await stage(outcomes, 'decode', decode);
          if (model === undefined) return;
          const paths = [...b.adapter.modules.keys()];
          await stage(outcomes, 'map', () => {
            const mapping = mapGraphModules(model);
            for (const p of paths) mapping.require(p);
            return mapping;
          });
          const merged = await stage(outcomes, 'merge', () =>
            mergeOnnxModel(model, b.adapter, join(out, 'merged.onnx')),
          );
          // what merge writes must decode again (a throw here fails the property)
          if (merged !== undefined) expect((await readOnnxModel(merged.path)).proto.graph).toBeTruthy();
          const options: InjectOptions =
            inject === 'modules' ? { modules: paths } : { adapter: b.adapter, variant: inject };
          // merging may have patched the model's bytes in place: inject a fresh decode
          const injected = await stage(outcomes, 'inject', async () => injectAdapterInputs(decode(), options));
          if (injected === undefined) return;
          const written = await stage(outcomes, 'inject-write', () =>
            writeOnnxModel(injected.model, join(out, 'injected.onnx')),
          );
          if (written !== undefined)
            expect(decodeOnnxModel(encodeOnnxModel(injected.model.proto)).proto.graph).toBeTruthy();
        }),
        { seed: SEED, numRuns: RUNS },
      );
      reportFuzz('ONNX loader and injector: mutated toy models', SEED, RUNS, outcomes, performance.now() - t0);
      expect(prototypesAreClean()).toBe(true);
      // Both halves ran: many inputs failed by several different rules, and many went all the way through.
      expect(outcomes.get('merge:ok')).toBeGreaterThan(RUNS / 20);
      expect(outcomes.get('inject-write:ok')).toBeGreaterThan(RUNS / 20);
      expect([...outcomes.counts.keys()].filter((k) => !k.endsWith(':ok')).length).toBeGreaterThan(
        Math.min(8, RUNS / 20),
      );
    },
    fuzzTimeout(RUNS, 40),
  );

  const folderCaseArb = fc.record({
    base: fc.nat(),
    folder: fc.array(fc.oneof(linkMutation, aliasMutation), { minLength: 1, maxLength: 2 }),
    mutations: fc.array(modelMutation, { minLength: 0, maxLength: 1 }),
    inject: fc.constantFrom<'lowrank' | 'topk'>('lowrank', 'topk'),
  });

  it(
    `issue #14 classes: linked external data and aliased ranges end in success or a typed error, and no outside byte is copied (${RUNS} runs, seed ${SEED + 14})`,
    async () => {
      const outcomes = new Outcomes();
      const out = join(dir, 'out-folder');
      mkdirSync(out);
      const external = bases.filter((b) => b.dataFile !== null);
      const t0 = performance.now();
      await fc.assert(
        fc.asyncProperty(folderCaseArb, async ({ base, folder, mutations, inject }) => {
          const b = external[base % external.length]!;
          const edited = folder.reduce((acc, m) => m(acc, b.dataFile!, secret), b.bytes);
          const bytes = mutations.reduce((acc, m) => m(acc), edited);
          const kinds = folder.map((m) => m.kind).join('+');
          const decode = () => decodeOnnxModel(bytes.slice(), { baseDir: b.baseDir });
          const model = await stage(outcomes, `decode`, decode);
          if (model === undefined) return;
          // bytes of the files one stage wrote (its model and data file)
          const outBytes = (prefix: string) => () =>
            readdirSync(out)
              .filter((f) => f.startsWith(prefix))
              .reduce((n, f) => n + statSync(join(out, f)).size, 0);
          await stage(
            outcomes,
            `merge[${kinds}]`,
            () => mergeOnnxModel(model, b.adapter, join(out, 'merged.onnx')),
            outBytes('merged.'),
          );
          const injected = await stage(outcomes, 'inject', () =>
            injectAdapterInputs(decode(), { adapter: b.adapter, variant: inject }),
          );
          if (injected !== undefined) {
            await stage(
              outcomes,
              `inject-write[${kinds}]`,
              () => writeOnnxModel(injected.model, join(out, 'injected.onnx')),
              outBytes('injected.'),
            );
          }
          expect(filesWithSecret(out), kinds).toEqual([]);
        }),
        { seed: SEED + 14, numRuns: RUNS },
      );
      reportFuzz('ONNX folder classes: links and aliased ranges', SEED + 14, RUNS, outcomes, performance.now() - t0);
      // both halves ran: links inside and shared ranges went through, links out were refused as external data,
      // overlapping ranges by the output bound
      const merges = (suffix: string): number =>
        [...outcomes.counts]
          .filter(([k]) => k.startsWith('merge[') && k.endsWith(suffix))
          .reduce((n, [, v]) => n + v, 0);
      expect(merges(':ok')).toBeGreaterThan(RUNS / 20);
      expect(merges(':OnnxModelError:external-data')).toBeGreaterThan(RUNS / 20);
      expect(merges(':ResourceLimitError:maxOutputBytes')).toBeGreaterThan(0);
    },
    fuzzTimeout(RUNS, 60),
  );
});
