/**
 * Loads one PEFT golden case (config, summary, checkpoints, base weights, expected tensors) with the test-only
 * safetensors reader, and names the tensors the kernel tests need.
 */
import { readFileSync } from 'node:fs';
import { goldenPath, type GoldenCase } from '../../helpers/golden-paths.js';
import { getTensor, readSafetensorsLite } from '../../helpers/read-safetensors-lite.js';
import type { HostTensor } from '../../../src/tensor/index.js';
import type { WeightDType } from '../../../src/kernels/index.js';

interface Summary {
  model: string;
  dtype: string;
  targeted_modules: string[];
  /** `"<module>.logits_A"` → list of row indices (all dims but the last) where top-k ties made torch's choice arbitrary. */
  rows_with_tied_topk_logits: Record<string, number[][]>;
}

interface AdapterConfig {
  r: number;
  topk: number;
  num_vectors: number;
  vector_length: number;
  fan_in_fan_out: boolean;
}

/** One golden case, loaded once. */
export interface Golden {
  readonly name: GoldenCase;
  readonly config: AdapterConfig;
  readonly modules: readonly string[];
  readonly full: Map<string, HostTensor>;
  readonly topk: Map<string, HostTensor>;
  readonly expected: Map<string, HostTensor>;
  readonly base: Map<string, HostTensor>;
  readonly bank: HostTensor<'f32'>;
  /** Full logits of a module: A (r, in_t, nv) or B (out_t, r, nv). */
  logits(m: string, which: 'A' | 'B'): HostTensor<'f32'>;
  /** Top-k checkpoint tensors of a module. */
  topkFile(m: string, which: 'A' | 'B'): { indices: HostTensor; weightsKm1: HostTensor<'f32'> };
  /** An expected tensor `layer.<m>.<suffix>`. */
  layer(m: string, suffix: string): HostTensor;
  /** Base weight of a module ((out, in), or (in, out) for Conv1D). */
  weight(m: string): HostTensor<WeightDType>;
  /** The bias the PEFT layer used: the trained one saved in the adapter if any, else the base one, else none. */
  bias(m: string): HostTensor<WeightDType> | undefined;
  /** Flat row numbers (over the leading dims) with tied top-k logits, per summary.json. */
  tiedRows(m: string, which: 'A' | 'B'): Set<number>;
}

const cache = new Map<GoldenCase, Golden>();

/** Loads (and caches) a golden case. */
export function loadGolden(name: GoldenCase): Golden {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  // summary.json is Python's json.dumps output: bare NaN / Infinity values are not JSON, read them as null
  const summaryText = readFileSync(goldenPath(name, 'summary.json'), 'utf8').replace(
    /([:[,]\s*)-?(?:NaN|Infinity)(?=\s*[,\]}])/g,
    '$1null',
  );
  const summary = JSON.parse(summaryText) as Summary;
  const config = JSON.parse(
    readFileSync(goldenPath(name, 'adapter_full', 'adapter_config.json'), 'utf8'),
  ) as AdapterConfig;
  const full = readSafetensorsLite(goldenPath(name, 'adapter_full', 'adapter_model.safetensors'));
  const topk = readSafetensorsLite(goldenPath(name, 'adapter_topk', 'adapter_model.safetensors'));
  const expected = readSafetensorsLite(goldenPath(name, 'expected.safetensors'));
  const base = readSafetensorsLite(goldenPath(name, 'base.safetensors'));
  const pre = (m: string): string => `base_model.model.${m}.`;
  const g: Golden = {
    name,
    config,
    modules: summary.targeted_modules,
    full,
    topk,
    expected,
    base,
    bank: getTensor(full, 'base_model.vblora_vector_bank') as HostTensor<'f32'>,
    logits: (m, which) => getTensor(full, `${pre(m)}vblora_logits_${which}`) as HostTensor<'f32'>,
    topkFile: (m, which) => ({
      indices: getTensor(topk, `${pre(m)}vblora_logits_${which}_topk_indices`),
      weightsKm1: getTensor(topk, `${pre(m)}vblora_logits_${which}_topk_weights`) as HostTensor<'f32'>,
    }),
    layer: (m, suffix) => getTensor(expected, `layer.${m}.${suffix}`),
    weight: (m) => getTensor(base, `${m}.weight`) as HostTensor<WeightDType>,
    bias: (m) => (full.get(`${pre(m)}base_layer.bias`) ?? base.get(`${m}.bias`)) as HostTensor<WeightDType> | undefined,
    tiedRows: (m, which) => {
      const rows = summary.rows_with_tied_topk_logits[`${m}.logits_${which}`] ?? [];
      const shape = getTensor(full, `${pre(m)}vblora_logits_${which}`).shape;
      return new Set(rows.map(([i, j]) => i! * shape[1]! + j!));
    },
  };
  cache.set(name, g);
  return g;
}
