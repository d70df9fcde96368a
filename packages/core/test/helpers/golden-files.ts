import { readFileSync } from 'node:fs';
import { readSafetensors, type HostTensor } from '@vblora/core';
import { goldenPath, type GoldenCase } from './golden-paths.js';

/** Reads a golden safetensors file into a tensor map (data views over the file bytes). */
export function readGoldenTensors(c: GoldenCase, ...parts: string[]): Map<string, HostTensor> {
  const raw = readFileSync(goldenPath(c, ...parts));
  return readSafetensors(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)).tensors;
}

/** Reads a golden file's raw bytes. */
export function readGoldenBytes(c: GoldenCase, ...parts: string[]): Uint8Array {
  const raw = readFileSync(goldenPath(c, ...parts));
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
}

/** The parsed summary.json of a golden case. */
export interface GoldenSummary {
  readonly targeted_modules: string[];
  readonly rows_with_tied_topk_logits?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

/** Reads a golden case's summary.json. */
export function readGoldenSummary(c: GoldenCase): GoldenSummary {
  // Python's json writes NaN / Infinity bare; they only appear in measured-error fields we do not read as numbers.
  const text = readFileSync(goldenPath(c, 'summary.json'), 'utf8').replace(/\b(NaN|-?Infinity)\b/g, 'null');
  return JSON.parse(text) as GoldenSummary;
}
