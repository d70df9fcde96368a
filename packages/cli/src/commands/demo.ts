import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { compareTensors, readSafetensors, type HostTensor, type Tolerance } from '@vblora/core';
import { peftGoldenPath } from '@vblora/conformance/fixtures';
import type { CliIO } from '../io.js';
import type { CliOptions } from '../main.js';
import { runCompose } from './compose.js';
import { runConvert } from './convert.js';
import { runInspect } from './inspect.js';
import { runMerge } from './merge.js';

/** The embedded default: PEFT's baseline golden adapter (ToyLlama, 12 modules, nv 64, vl 16, r 4, top-2). */
const CASE = 'llama_f32_vl16_nv64_top2' as const;

/** float32 parity with PEFT: a few ulps of values of order 1 (see docs/numerics.md). */
const F32_PARITY: Tolerance = { atol: 1e-6, rtol: 1e-5 };

async function readTensors(path: string): Promise<Map<string, HostTensor>> {
  const raw = await readFile(path);
  return readSafetensors(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)).tensors;
}

/**
 * `vblora demo`: a walkthrough on the embedded PEFT golden adapter — inspect, compose, convert both ways, merge —
 * each step run through the real command, then every result compared with the tensors PEFT itself produced.
 */
export async function runDemo(_args: readonly string[], options: CliOptions, io: CliIO): Promise<number> {
  const out = resolve(options.out ?? 'demo-output');
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const full = peftGoldenPath(CASE, 'adapter_full');
  const topk = peftGoldenPath(CASE, 'adapter_topk');
  const step = async (title: string, run: () => Promise<number>): Promise<void> => {
    io.out(`\n== ${title}\n`);
    const status = await run();
    if (status !== 0) throw new Error(`demo step "${title}" failed with status ${status}`);
  };

  io.out(`vblora demo — PEFT golden adapter "${CASE}" (written by Hugging Face PEFT), output in ${out}\n`);
  await step('vblora inspect adapter_topk', () => runInspect([topk], {}, io));
  await step('vblora compose adapter_topk', () =>
    runCompose([topk], { output: join(out, 'composed-topk.safetensors') }, io),
  );
  await step('vblora convert adapter_full --topk-only', () =>
    runConvert([full], { output: join(out, 'adapter_topk'), 'topk-only': true }, io),
  );
  await step('vblora convert adapter_topk --full', () =>
    runConvert([topk], { output: join(out, 'adapter_full_from_topk'), full: true }, io),
  );
  await step('vblora merge adapter_full --base base.safetensors', () =>
    runMerge([full], { base: peftGoldenPath(CASE, 'base.safetensors'), output: join(out, 'merged.safetensors') }, io),
  );

  const expected = await readTensors(peftGoldenPath(CASE, 'expected.safetensors'));
  const composed = await readTensors(join(out, 'composed-topk.safetensors'));
  const merged = await readTensors(join(out, 'merged.safetensors'));
  const [ourTopk, peftTopk] = await Promise.all([
    readFile(join(out, 'adapter_topk', 'adapter_model.safetensors')),
    readFile(join(topk, 'adapter_model.safetensors')),
  ]);
  const rows: [string, number, boolean][] = [];
  const worst = (pairs: [HostTensor | undefined, HostTensor | undefined][]): [number, boolean] => {
    let max = 0;
    let ok = true;
    for (const [a, e] of pairs) {
      if (a === undefined || e === undefined) return [NaN, false];
      const r = compareTensors(a, e, F32_PARITY);
      max = Math.max(max, r.maxAbs);
      ok &&= r.ok;
    }
    return [max, ok];
  };
  const modules = [...composed.keys()].filter((k) => k.endsWith('.A')).map((k) => k.slice(0, -2));
  for (const [label, ours, theirs] of [
    ['A from top-k file', '.A', '.topk_reload.A'],
    ['B from top-k file', '.B', '.topk_reload.B'],
    ['delta from top-k file', '.delta', '.topk_reload.delta_weight'],
  ] as const) {
    rows.push([label, ...worst(modules.map((m) => [composed.get(m + ours), expected.get(`layer.${m}${theirs}`)]))]);
  }
  rows.push([
    'merged weights (full file)',
    ...worst(modules.map((m) => [merged.get(`${m}.weight`), expected.get(`layer.${m}.merged_weight`)])),
  ]);
  io.out(`\n== parity with PEFT (reference backend, tolerance |a−e| ≤ ${F32_PARITY.atol} + ${F32_PARITY.rtol}·|e|)\n`);
  for (const [label, max, ok] of rows) io.out(`  ${label.padEnd(28)} max abs err ${max.toExponential(2)}  ${ok ? 'ok' : 'FAIL'}\n`);
  io.out(`  top-k file re-written from full logits: ${ourTopk.byteLength} bytes (PEFT's: ${peftTopk.byteLength} bytes)\n`);
  io.out(`\ndemo output: ${out}\n`);
  return rows.every((r) => r[2]) ? 0 : 1;
}
