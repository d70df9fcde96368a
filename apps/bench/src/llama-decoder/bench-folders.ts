/**
 * The model folders the generation benchmark compares: a base folder and the same folder with an adapter injected
 * three ways (built in, hot swap with composed A/B inputs, hot swap with top-k inputs), at the shipped tiny
 * Llama's size (its PEFT adapter `vblora-b`, all seven projections) and at Llama-2-7B's layer size (one random
 * layer, a synthetic top-k adapter with the paper's settings).
 * @module
 */
import { join } from 'node:path';
import { TINY_LLAMA_DIR, tinyLlamaPath } from '@vblora/conformance/fixtures';
import type { VBLoRAAdapter } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { injectModelFolder } from '@vblora/onnx';
import { syntheticAdapter } from '../synthetic-adapter.js';
import type { GenerateCase } from '../workloads/generate-tokens.js';
import { LLAMA2_7B_LAYER, TINY_VOCAB, writeDecoderFolder } from './decoder-folder.js';

/** One size: its base folder and the injected ones. */
export interface GenerateFolders {
  readonly size: string;
  readonly base: GenerateCase;
  readonly adapted: readonly GenerateCase[];
}

async function injected(
  adapter: VBLoRAAdapter,
  baseDir: string,
  workDir: string,
  tag: string,
): Promise<GenerateCase[]> {
  const staticDir = join(workDir, `${tag}-static`);
  const lowrankDir = join(workDir, `${tag}-lowrank`);
  const topkDir = join(workDir, `${tag}-topk`);
  await injectModelFolder(adapter, baseDir, staticDir);
  await injectModelFolder(adapter, baseDir, lowrankDir, { hotSwap: true, hotSwapVariant: 'lowrank' });
  await injectModelFolder(adapter, baseDir, topkDir, { hotSwap: true, hotSwapVariant: 'topk' });
  return [
    { label: 'adapter built in (static)', dir: staticDir },
    { label: 'hot swap, A/B inputs (lowrank)', dir: lowrankDir, attach: adapter },
    { label: 'hot swap, top-k inputs (topk)', dir: topkDir, attach: adapter },
  ];
}

/** The shipped tiny Llama with its PEFT adapter vblora-b. */
export async function tinyLlamaFolders(workDir: string): Promise<GenerateFolders> {
  const { adapter } = await readAdapterDir(tinyLlamaPath('adapters', 'vblora-b'));
  return {
    size: 'tiny Llama fixture (hidden 64, 2 layers), PEFT adapter vblora-b (7 modules/layer)',
    base: { label: 'base', dir: TINY_LLAMA_DIR },
    adapted: await injected(adapter, TINY_LLAMA_DIR, workDir, 'tiny'),
  };
}

/** One random decoder layer of Llama-2-7B's size (vocabulary: the tiny tokenizer's) with a synthetic top-k adapter. */
export async function llamaLayerFolders(workDir: string): Promise<GenerateFolders> {
  const shape = { layers: 1, vocab: TINY_VOCAB, ...LLAMA2_7B_LAYER };
  const baseDir = join(workDir, 'llama-layer-base');
  await writeDecoderFolder(baseDir, shape);
  const adapter = syntheticAdapter({ layers: 1, hidden: shape.hidden, intermediate: shape.intermediate }, 'topk');
  return {
    size: 'Llama-2-7B layer (hidden 4096, intermediate 11008, 32 heads; 1 layer), synthetic top-k adapter (7 modules)',
    base: { label: 'base', dir: baseDir },
    adapted: await injected(adapter, baseDir, workDir, 'llama-layer'),
  };
}
