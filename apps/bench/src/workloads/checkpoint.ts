import {
  adapterFromFiles,
  adapterShapeSummary,
  adapterToFiles,
  BANK_KEY,
  checkpointPayloadBytes,
  composeAdapter,
  factorKey,
  planSafetensors,
  type VBLoRAAdapter,
} from '@vblora/core';
import type { BenchRow } from '../result.js';
import { fmtTiming, time } from '../stats.js';

/** PEFT's file sizes for the Llama-2-7B-shaped adapter (issue #8): top-k and full logits. */
export const PEFT_7B_TOPK_BYTES = 2_538_104;
/** Full-logits file size PEFT writes for the same adapter. */
export const PEFT_7B_FULL_BYTES = 321_974_984;

/** File sizes of both flavours (the full file is sized from its header plan, not allocated) and load + compose time. */
export async function checkpointWorkload(topk: VBLoRAAdapter, reps: number, is7b: boolean): Promise<BenchRow[]> {
  const files = adapterToFiles(topk);
  const summary = adapterShapeSummary(topk);
  const fullPayload = checkpointPayloadBytes(summary, { topkOnly: false }).totalBytes;
  // the full file's header: the bank, and dense logits (…, num_vectors) in place of each top-k factor
  const entries = [{ name: BANK_KEY, dtype: 'f32' as const, shape: [...topk.bank.shape] }];
  for (const m of topk.modules.values()) {
    for (const f of ['A', 'B'] as const) {
      const factor = f === 'A' ? m.a : m.b;
      if (factor.kind !== 'topk') continue;
      const shape = [...factor.indices.shape.slice(0, -1), topk.config.num_vectors];
      entries.push({ name: factorKey(m.path, f, 'logits'), dtype: 'f32', shape });
    }
  }
  const fullHeader = planSafetensors(entries).header.length;
  const fullBytes = fullHeader + fullPayload;
  const t = await time(
    async () => composeAdapter(adapterFromFiles({ config: files.config, weights: files.weights }).adapter),
    reps,
    1,
  );
  return [
    {
      workload: 'checkpoint',
      case: `top-k file, ${topk.modules.size} modules`,
      backend: 'reference',
      value: `${files.weights.byteLength.toLocaleString('en-US')} bytes${is7b ? ` (PEFT: ${PEFT_7B_TOPK_BYTES.toLocaleString('en-US')})` : ''}`,
      ...(is7b ? { ratio: files.weights.byteLength / PEFT_7B_TOPK_BYTES, ratioOf: "of PEFT's bytes", target: 1 } : {}),
    },
    {
      workload: 'checkpoint',
      case: `full-logits file, ${topk.modules.size} modules`,
      backend: 'reference',
      value: `${fullBytes.toLocaleString('en-US')} bytes${is7b ? ` (PEFT: ${PEFT_7B_FULL_BYTES.toLocaleString('en-US')})` : ''}`,
      ...(is7b ? { ratio: fullBytes / PEFT_7B_FULL_BYTES, ratioOf: "of PEFT's bytes", target: 1 } : {}),
    },
    {
      workload: 'checkpoint',
      case: 'load top-k file + compose all modules',
      backend: 'reference',
      timing: t,
      value: fmtTiming(t),
    },
  ];
}
