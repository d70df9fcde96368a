import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BANK_KEY, readSafetensors, tensor, writeSafetensors } from '@vblora/core';
import { vblora } from '../helpers.js';
import { oneTypedLine, smallAdapter, snapshotTree, type NonFiniteSpot } from './helpers/hostile-adapters.js';

// #14 defect 10: compose and merge of an adapter whose bank or logits hold NaN or Inf exited 0 with NaN factors
// (only inspect warned). Now compose, merge and convert refuse it with a NumericalError naming the tensor and the
// index (the loader's own locations), unless --allow-non-finite; inspect still reports and exits 0. Convert is
// refused too: it carries the bank and logits into a file that would compose to NaN in PEFT, which does not warn.
const tmp = mkdtempSync(join(tmpdir(), 'vblora-nonfinite-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SPOTS: Record<NonFiniteSpot, string> = {
  'bank-nan': `non-finite value NaN in ${BANK_KEY} at (3, 1)`,
  'bank-inf': `non-finite value Infinity in ${BANK_KEY} at (3, 1)`,
  'logits-nan': 'non-finite value NaN in model.q.vblora_logits_A at (0, 1, 2)',
  'logits-inf': 'non-finite value Infinity in model.q.vblora_logits_A at (0, 1, 2)',
  'logits-neginf-row': 'model.q.vblora_logits_A row (0, 1) has no finite logit (all −inf): it composes to NaN',
};

/** A base model for the small adapter: model.q.weight (4 × 4). */
function baseFile(): string {
  const path = join(tmp, 'base.safetensors');
  if (!existsSync(path))
    writeFileSync(
      path,
      writeSafetensors(new Map([['model.q.weight', tensor('f32', [4, 4], new Float32Array(16).fill(1))]])),
    );
  return path;
}

describe('defect 10: non-finite adapters are refused by compose, merge and convert', () => {
  for (const [spot, where] of Object.entries(SPOTS) as [NonFiniteSpot, string][]) {
    it(`${spot}: NumericalError "${where}", exit 1, no output, input intact`, async () => {
      const dir = smallAdapter(join(tmp, spot), spot);
      const before = snapshotTree(dir);
      const outs = join(tmp, `${spot}-out`);
      mkdirSync(outs);
      for (const argv of [
        ['compose', dir, '-o', join(outs, 'c.safetensors')],
        ['merge', dir, '--base', baseFile(), '-o', join(outs, 'm.safetensors')],
        ['convert', dir, '-o', join(outs, 'full'), '--full'],
        ['convert', dir, '-o', join(outs, 'topk'), '--topk-only'],
      ]) {
        const r = await vblora(...argv);
        expect(r.status, `${argv[0]}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toMatch(oneTypedLine('NumericalError'));
        expect(r.stderr).toContain(
          `vblora: NumericalError: ${argv[0]}: ${where}; the result would hold NaN. Pass --allow-non-finite`,
        );
      }
      expect(snapshotTree(outs).size).toBe(0);
      expect(snapshotTree(dir)).toEqual(before);
      const inspect = await vblora('inspect', dir);
      expect(inspect.status).toBe(0);
      expect(inspect.stdout).toContain(`warning: ${where}`);
    });
  }

  it('--allow-non-finite goes on: compose writes the NaN factors it was asked for, exit 0', async () => {
    const dir = smallAdapter(join(tmp, 'allowed'), 'logits-nan');
    const out = join(tmp, 'allowed.safetensors');
    const r = await vblora('compose', dir, '-o', out, '--allow-non-finite');
    expect(r.status, r.stderr).toBe(0);
    const A = readSafetensors(new Uint8Array(readFileSync(out))).tensors.get('model.q.A')!;
    expect(Array.from(A.data as Float32Array).some(Number.isNaN)).toBe(true);
  });

  it('a finite adapter composes, merges and converts as before', async () => {
    const dir = smallAdapter(join(tmp, 'finite'));
    for (const argv of [
      ['compose', dir, '-o', join(tmp, 'finite.safetensors')],
      ['merge', dir, '--base', baseFile(), '-o', join(tmp, 'finite-merged.safetensors')],
      ['convert', dir, '-o', join(tmp, 'finite-topk'), '--topk-only'],
    ]) {
      const r = await vblora(...argv);
      expect(r.status, `${argv[0]}: ${r.stderr}`).toBe(0);
    }
  });
});
