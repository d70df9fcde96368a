/** PEFT golden fixtures, read with core's safetensors reader. */
import { readFileSync } from 'node:fs';
import { PEFT_GOLDEN_CASES, peftGoldenPath, type PeftGoldenCase } from '@vblora/conformance/fixtures';
import { readSafetensors, type HostTensor } from '@vblora/core';

export { PEFT_GOLDEN_CASES, peftGoldenPath, type PeftGoldenCase };

const cache = new Map<string, Map<string, HostTensor>>();

/** Tensors of one safetensors file of a golden case, e.g. `('llama_f32_vl16_nv64_top2', 'expected.safetensors')`. */
export function goldenTensors(c: PeftGoldenCase, ...parts: string[]): Map<string, HostTensor> {
  const path = peftGoldenPath(c, ...parts);
  const hit = cache.get(path);
  if (hit !== undefined) return hit;
  const raw = readFileSync(path);
  const { tensors } = readSafetensors(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
  cache.set(path, tensors);
  return tensors;
}

/** One tensor, or a clear failure naming it. */
export function need(map: ReadonlyMap<string, HostTensor>, key: string): HostTensor {
  const t = map.get(key);
  if (t === undefined) throw new Error(`missing tensor ${key}`);
  return t;
}

/** The golden summary.json (Python's NaN / Infinity read as null). */
export function goldenSummary(c: PeftGoldenCase): {
  targeted_modules: string[];
  rows_with_tied_topk_logits: Record<string, number[][]>;
} {
  const text = readFileSync(peftGoldenPath(c, 'summary.json'), 'utf8').replace(
    /([:[,]\s*)-?(?:NaN|Infinity)(?=\s*[,\]}])/g,
    '$1null',
  );
  return JSON.parse(text) as { targeted_modules: string[]; rows_with_tied_topk_logits: Record<string, number[][]> };
}
