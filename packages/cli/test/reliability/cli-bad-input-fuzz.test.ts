import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { vblora } from '../helpers.js';
import { fuzzRuns, fuzzTimeout, Outcomes, reportFuzz } from '../../../core/test/reliability/helpers/budget.js';
import { GOLDEN_ADAPTERS } from '../../../core/test/reliability/helpers/golden-adapters.js';
import { bytesMutation, textMutation } from '../../../core/test/reliability/helpers/mutations.js';

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
