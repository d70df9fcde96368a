/** PEFT golden fixtures for the GPU model tests: safetensors files and adapters of one case. */
import { readFileSync } from 'node:fs';
import { readSafetensors, type HostTensor, type VBLoRAAdapter } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { peftGoldenPath, type PeftGoldenCase } from '@vblora/conformance/fixtures';

/** Tensors of one safetensors file of a golden case, e.g. `('llama_f32_vl16_nv64_top2', 'base.safetensors')`. */
export function goldenTensors(c: PeftGoldenCase, file: string): Map<string, HostTensor> {
  const raw = readFileSync(peftGoldenPath(c, file));
  return readSafetensors(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)).tensors;
}

/** One tensor, or a failure naming it. */
export function need(map: ReadonlyMap<string, HostTensor>, key: string): HostTensor {
  const t = map.get(key);
  if (t === undefined) throw new Error(`missing tensor ${key}`);
  return t;
}

/** The adapter of a golden case, from its full-logits or top-k checkpoint. */
export async function goldenAdapter(
  c: PeftGoldenCase,
  flavour: 'adapter_full' | 'adapter_topk',
): Promise<VBLoRAAdapter> {
  return (await readAdapterDir(peftGoldenPath(c, flavour))).adapter;
}
