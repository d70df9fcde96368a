import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readSafetensors, tensor, writeSafetensors } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { vblora } from '../helpers.js';
import { fuzzRuns, fuzzTimeout, Outcomes, reportFuzz } from '../../../core/test/reliability/helpers/budget.js';
import { GOLDEN_ADAPTERS } from '../../../core/test/reliability/helpers/golden-adapters.js';
import { bytesMutation, textMutation } from '../../../core/test/reliability/helpers/mutations.js';
import { hugeModuleAdapter, smallAdapter, snapshotTree, type NonFiniteSpot } from './helpers/hostile-adapters.js';

// The `vblora` command on mutated adapter directories (PEFT's golden adapters, 0–3 byte/header mutations of the
// weights, sometimes a broken config): inspect, inspect --json, compose and convert. Property: exit 0 with an
// output that loads again, or exit 1 with exactly one line `vblora: <TypedError>: …` on stderr and no output file
// left — never a usage error (2) or an internal error (70), and never a control character from the file reaching
// the terminal. Budget: VBLORA_FUZZ_RUNS (default 150, ~2 s). Seed fixed below.
const RUNS = fuzzRuns(150);
const SEED = 0xc11_f022;
const tmp = mkdtempSync(join(tmpdir(), 'vblora-cli-fuzz-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Only \n may appear among the C0 controls: ESC, BEL, CR, BS… from a file would drive the user's terminal.
const CONTROL = /[\u0000-\u0009\u000b-\u001f]/;

const caseArb = fc.record({
  golden: fc.nat(GOLDEN_ADAPTERS.length - 1),
  weights: fc.array(bytesMutation, { minLength: 0, maxLength: 3 }),
  config: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: textMutation }),
  command: fc.constantFrom('inspect', 'inspect-json', 'compose', 'convert-topk', 'convert-full'),
});

describe('vblora on mutated adapter directories', () => {
  it(
    `exits 0 with a loadable output or 1 with one typed line (${RUNS} runs, seed ${SEED})`,
    async () => {
      const outcomes = new Outcomes();
      const t0 = performance.now();
      let n = 0;
      await fc.assert(
        fc.asyncProperty(caseArb, async ({ golden, weights, config, command }) => {
          const g = GOLDEN_ADAPTERS[golden]!;
          const dir = join(tmp, `in-${n}`);
          const out = join(tmp, `out-${n++}`);
          mkdirSync(dir);
          writeFileSync(join(dir, 'adapter_config.json'), config === undefined ? g.config : config(g.config));
          writeFileSync(
            join(dir, 'adapter_model.safetensors'),
            weights.reduce((f, m) => m(f), g.weights),
          );
          const argv =
            command === 'inspect'
              ? ['inspect', dir]
              : command === 'inspect-json'
                ? ['inspect', dir, '--json']
                : command === 'compose'
                  ? ['compose', dir, '-o', out]
                  : ['convert', dir, '-o', out, command === 'convert-topk' ? '--topk-only' : '--full'];
          const start = performance.now();
          const r = await vblora(...argv);
          expect(r.status, r.stderr).toBeOneOf([0, 1]);
          expect(
            CONTROL.test(r.stdout) || CONTROL.test(r.stderr),
            `a control character reached the terminal: ${JSON.stringify(r)}`,
          ).toBe(false);
          if (r.status === 1) {
            expect(r.stderr).toMatch(/^vblora: [A-Za-z]+Error: [^\n]+\n$/);
            expect(existsSync(out), 'a failed command left an output behind').toBe(false);
            outcomes.add(`${command} → exit 1 ${r.stderr.split(':')[1]!.trim()}`, performance.now() - start);
          } else {
            if (command === 'inspect-json') expect(JSON.parse(r.stdout)).toHaveProperty('modules');
            if (command === 'compose')
              expect(readSafetensors(new Uint8Array(readFileSync(out))).tensors.size).toBeGreaterThan(0);
            if (command.startsWith('convert'))
              expect((await readAdapterDir(out)).adapter.modules.size).toBeGreaterThan(0);
            outcomes.add(`${command} → exit 0`, performance.now() - start);
          }
          rmSync(dir, { recursive: true });
          rmSync(out, { recursive: true, force: true });
        }),
        { seed: SEED, numRuns: RUNS },
      );
      reportFuzz('vblora CLI: mutated adapter directories', SEED, RUNS, outcomes, performance.now() - t0);
      expect(outcomes.sum('')).toBe(RUNS);
      expect([...outcomes.counts.keys()].some((k) => k.endsWith('exit 0'))).toBe(true);
      expect([...outcomes.counts.keys()].some((k) => k.includes('exit 1'))).toBe(true);
    },
    fuzzTimeout(RUNS, 100),
  );
});

// #14: the classes the mutations above do not reach. An output that is an input (by name, symbolic or hard link),
// a tiny file declaring a huge module, NaN/Inf/−inf rows in the bank or logits, and module names with bidi and
// invisible characters; for compose, convert, merge and inspect, with and without --allow-non-finite and
// --max-memory. Property: exit 0 with a valid output or 1 with one typed line and no output; never 2 or 70, never
// an unescaped control, bidi or separator character, never a changed input. Budget: VBLORA_FUZZ_RUNS (default 150, ~1 s).
const RUNS_14 = fuzzRuns(150);
const SEED_14 = 0x14_c11;
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u;
const SPOTS: readonly (NonFiniteSpot | undefined)[] = [
  undefined,
  'bank-nan',
  'bank-inf',
  'logits-nan',
  'logits-inf',
  'logits-neginf-row',
];
const ALIASES = ['weights', 'config', 'folder', 'symlink', 'hardlink', 'folder-link'] as const;

const case14Arb = fc.record({
  input: fc.oneof(
    fc.record({
      kind: fc.constant('small' as const),
      spot: fc.constantFrom(...SPOTS),
      name: fc.constantFrom('model.q', 'model.\u202eq', 'm\u2066q\u2069\u200b', 'q\u00ad'),
    }),
    fc.record({
      kind: fc.constant('huge' as const),
      features: fc.constantFrom(65_536, 131_072, 2 ** 20, 2 ** 24, 2 ** 25),
    }),
    fc.record({ kind: fc.constant('golden' as const), golden: fc.nat(GOLDEN_ADAPTERS.length - 1) }),
  ),
  command: fc.constantFrom('inspect', 'inspect-json', 'compose', 'convert-topk', 'convert-full', 'merge'),
  alias: fc.option(fc.constantFrom(...ALIASES), { freq: 2 }),
  allow: fc.boolean(),
  memory: fc.option(fc.constantFrom('1KiB', '64MiB', '1GiB'), { freq: 3 }),
});

describe('vblora on aliased outputs, huge declared shapes and non-finite values (#14)', () => {
  it(
    `exits 0 with a valid output or 1 with one typed line, inputs unchanged (${RUNS_14} runs, seed ${SEED_14})`,
    async () => {
      const outcomes = new Outcomes();
      const t0 = performance.now();
      const base = join(tmp, 'base14.safetensors');
      writeFileSync(
        base,
        writeSafetensors(new Map([['model.q.weight', tensor('f32', [4, 4], new Float32Array(16).fill(1))]])),
      );
      let n = 0;
      await fc.assert(
        fc.asyncProperty(case14Arb, async ({ input, command, alias, allow, memory }) => {
          const root = join(tmp, `c14-${n++}`);
          const dir = join(root, 'in');
          if (input.kind === 'small') smallAdapter(dir, input.spot, input.name);
          else if (input.kind === 'huge') hugeModuleAdapter(dir, input.features);
          else {
            mkdirSync(dir, { recursive: true });
            writeFileSync(join(dir, 'adapter_config.json'), GOLDEN_ADAPTERS[input.golden]!.config);
            writeFileSync(join(dir, 'adapter_model.safetensors'), GOLDEN_ADAPTERS[input.golden]!.weights);
          }
          const writesFile = command === 'compose' || command === 'merge';
          let out = join(root, writesFile ? 'out.safetensors' : 'out');
          if (alias !== null && !command.startsWith('inspect')) {
            const links = join(root, 'links');
            mkdirSync(links);
            const weights = join(dir, 'adapter_model.safetensors');
            if (alias === 'weights') out = weights;
            else if (alias === 'config') out = join(dir, 'adapter_config.json');
            else if (alias === 'folder') out = dir;
            else if (alias === 'symlink') symlinkSync(writesFile ? weights : dir, (out = join(links, 'sym')));
            else if (alias === 'hardlink') linkSync(weights, (out = join(links, 'hard')));
            else {
              symlinkSync(dir, join(links, 'dir-link'));
              out = writesFile ? join(links, 'dir-link', 'adapter_model.safetensors') : join(links, 'dir-link');
            }
          }
          const before = snapshotTree(dir);
          const argv =
            command === 'inspect' || command === 'inspect-json'
              ? ['inspect', dir, ...(command === 'inspect-json' ? ['--json'] : [])]
              : command === 'compose'
                ? ['compose', dir, '-o', out]
                : command === 'merge'
                  ? ['merge', dir, '--base', base, '-o', out]
                  : ['convert', dir, '-o', out, command === 'convert-topk' ? '--topk-only' : '--full'];
          if (allow && !command.startsWith('inspect')) argv.push('--allow-non-finite'); // inspect reads them anyway; it does not take the option
          if (memory !== null) argv.push('--max-memory', memory);
          const start = performance.now();
          const r = await vblora(...argv);
          expect(r.status, `${argv.join(' ')}\n${r.stderr}`).toBeOneOf([0, 1]);
          expect(UNSAFE.test(r.stdout + r.stderr), `unescaped text reached the terminal: ${JSON.stringify(r)}`).toBe(
            false,
          );
          expect(snapshotTree(dir), `${argv.join(' ')} changed its input`).toEqual(before);
          const aliased = alias !== null && !command.startsWith('inspect');
          if (r.status === 1) {
            expect(r.stderr).toMatch(/^vblora: [A-Za-z]+Error: [^\n]+\n$/);
            if (!aliased) expect(existsSync(out), 'a failed command left an output behind').toBe(false);
            outcomes.add(`${command} → exit 1 ${r.stderr.split(':')[1]!.trim()}`, performance.now() - start);
          } else {
            expect(aliased, `${argv.join(' ')} wrote over its input`).toBe(false);
            if (command === 'inspect-json') expect(JSON.parse(r.stdout)).toHaveProperty('modules');
            if (writesFile) expect(readSafetensors(new Uint8Array(readFileSync(out))).tensors.size).toBeGreaterThan(0);
            if (command.startsWith('convert'))
              expect((await readAdapterDir(out)).adapter.modules.size).toBeGreaterThan(0);
            outcomes.add(`${command} → exit 0`, performance.now() - start);
          }
          expect(performance.now() - start, argv.join(' ')).toBeLessThan(5000);
          rmSync(root, { recursive: true, force: true });
        }),
        { seed: SEED_14, numRuns: RUNS_14 },
      );
      reportFuzz('vblora CLI: #14 classes', SEED_14, RUNS_14, outcomes, performance.now() - t0);
      expect(outcomes.sum('')).toBe(RUNS_14);
      for (const name of ['PathError', 'ResourceLimitError', 'NumericalError']) {
        expect(
          [...outcomes.counts.keys()].some((k) => k.endsWith(name)),
          name,
        ).toBe(true);
      }
    },
    fuzzTimeout(RUNS_14, 300),
  );
});
