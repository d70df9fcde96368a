/**
 * Mutation self-test of the conformance kit (#17): every single-bug variant of the example backend in
 * `mutants.ts` must be rejected by a case of the kernel it breaks, with a message that shows the symptom; every
 * allowed rewrite must pass the whole kit. Prints the kill rate; docs/conformance.md must state it and every
 * mutant's outcome (`VBLORA_MUTATION_TABLE=write` rewrites that table from this run).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { allCases, checkConformance, type CaseResult } from '@vblora/conformance';
import type { KernelName } from '@vblora/core';
import { MUTANTS, REWRITES, type Mutant } from './mutants.js';
import { removeVariants, variantBackend } from './variant.js';

/**
 * Mutants the kit does not reject yet, each with the reason. Such a test is expected to fail and fails when the
 * mutant starts being killed: then remove it here and regenerate the docs table.
 */
const SURVIVORS: Readonly<Record<string, string>> = {};

const DOC = join(dirname(fileURLToPath(import.meta.url)), '../../../../docs/conformance.md');
const suite = allCases();
const casesOf = (kernels: readonly KernelName[]) => suite.filter((c) => kernels.includes(c.kernel));

interface Outcome {
  readonly killed: boolean;
  /** The first failing case that shows the symptom (or, for a survivor, what happened instead). */
  readonly by: string;
  readonly message: string;
}
const outcomes = new Map<string, Outcome>();

function firstLine(s: string): string {
  const line = s.split('\n')[0]!;
  return line.length > 110 ? `${line.slice(0, 107)}…` : line;
}

async function judge(m: Mutant): Promise<Outcome> {
  const report = await checkConformance(await variantBackend(m.id, m.edits), { cases: casesOf(m.kernels) });
  const failed = report.cases.filter((c) => c.status === 'fail');
  const hit = failed.find((c) => m.symptom.test(c.message));
  if (hit !== undefined) return { killed: true, by: hit.id, message: hit.message };
  const other: CaseResult | undefined = failed[0];
  return other === undefined
    ? { killed: false, by: `all ${report.totals.passed} cases of ${m.kernels.join(', ')} pass`, message: '' }
    : {
        killed: false,
        by: `failed, but no message shows ${String(m.symptom)} (first: ${other.id})`,
        message: other.message,
      };
}

describe('mutation self-test: the kit rejects single-bug variants of the example backend', () => {
  afterAll(() => {
    removeVariants();
    if (outcomes.size === 0) return;
    const killed = [...outcomes.values()].filter((o) => o.killed).length;
    console.info(
      `mutation self-test: ${killed} of ${outcomes.size} mutants killed (${((100 * killed) / outcomes.size).toFixed(1)} %)`,
    );
  });

  it('control: the unmodified example passes every case of the kit', async () => {
    const report = await checkConformance(await variantBackend('control', []));
    expect(report.cases.filter((c) => c.status !== 'pass').map((c) => `${c.id}: ${c.message}`)).toEqual([]);
  });

  it('the table is well formed: unique ids, at least 30 mutants, every kernel broken by some mutant', () => {
    const ids = MUTANTS.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(30);
    expect(Object.keys(SURVIVORS).filter((id) => !ids.includes(id))).toEqual([]);
    const broken = new Set(MUTANTS.flatMap((m) => m.kernels));
    expect(new Set(suite.map((c) => c.kernel)).size).toBe(broken.size);
  });

  for (const m of MUTANTS) {
    const survivor = SURVIVORS[m.id];
    const test = survivor === undefined ? it : it.fails;
    test(`${m.id} [${m.kernels.join(', ')}]: ${m.bug}${survivor === undefined ? '' : ` — survives: ${survivor}`}`, async () => {
      const o = await judge(m);
      outcomes.set(m.id, o);
      expect(o.killed, `${m.id} was not rejected with its symptom: ${o.by}\n${o.message}`).toBe(true);
      // the case that rejects it belongs to a kernel the mutant breaks, and says which
      expect(
        m.kernels.some((k) => o.by.startsWith(`${k}/`)),
        o.by,
      ).toBe(true);
    });
  }

  for (const r of REWRITES) {
    it(`allowed rewrite ${r.id} passes every case: ${r.what}`, async () => {
      const report = await checkConformance(await variantBackend(`rewrite-${r.id}`, r.edits));
      expect(report.cases.filter((c) => c.status !== 'pass').map((c) => `${c.id}: ${c.message}`)).toEqual([]);
    });
  }

  it('docs/conformance.md states the kill rate and each mutant’s outcome', (ctx) => {
    if (outcomes.size !== MUTANTS.length) ctx.skip(); // a filtered run: not every mutant was judged
    const table = mutationTable();
    if (process.env.VBLORA_MUTATION_TABLE === 'write') {
      const doc = readFileSync(DOC, 'utf8');
      const [head, rest] = doc.split(BEGIN) as [string, string];
      writeFileSync(DOC, `${head}${BEGIN}\n${table}\n${END}${rest.split(END)[1]!}`);
    }
    const doc = readFileSync(DOC, 'utf8');
    const killed = [...outcomes.values()].filter((o) => o.killed).length;
    expect(doc).toContain(`**${killed} of ${MUTANTS.length} mutants killed**`);
    for (const m of MUTANTS) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${m.id}\` |`));
      expect(row, `docs/conformance.md has no row for ${m.id}`).toBeDefined();
      expect(row!.includes(outcomes.get(m.id)!.killed ? '| killed |' : '| survives |'), row).toBe(true);
    }
  });
});

const BEGIN =
  '<!-- mutation-table: generated by VBLORA_MUTATION_TABLE=write npx vitest run packages/conformance/test/mutation -->';
const END = '<!-- /mutation-table -->';

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The docs table of this run's outcomes. */
function mutationTable(): string {
  const killed = [...outcomes.values()].filter((o) => o.killed).length;
  const rows = MUTANTS.map((m) => {
    const o = outcomes.get(m.id)!;
    const why = o.killed ? `\`${o.by}\`: ${cell(firstLine(o.message))}` : cell(SURVIVORS[m.id] ?? o.by);
    return `| \`${m.id}\` | ${m.kernels.join(', ')} | ${cell(m.bug)} | ${o.killed ? 'killed' : 'survives'} | ${why} |`;
  });
  return [
    `**${killed} of ${MUTANTS.length} mutants killed** (${((100 * killed) / MUTANTS.length).toFixed(1)} %).`,
    '',
    '| mutant | kernels it breaks | bug | outcome | first case that rejects it: message (or why it survives) |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
