import { describe, expect, it } from 'vitest';
import {
  adapterParameterCount,
  checkpointPayloadBytes,
  formatSavableParameters,
  formatTrainableParameters,
  indexDtypeFor,
  pythonSavableParameters,
  pythonTrainableParameters,
  type AdapterShapeSummary,
} from '@vblora/core';
import { GOLDEN_CASES, goldenPath, type GoldenCase } from '../helpers/golden-paths.js';
import { readSummary } from '../targeting/helpers/golden-case.js';
import { readSafetensorsHeader } from '../targeting/helpers/safetensors-header.js';

const PREFIX = 'base_model.model.';
const DTYPES = {
  float32: 'f32',
  bfloat16: 'bf16',
  float16: 'f16',
  uint8: 'u8',
  int16: 'i16',
  int32: 'i32',
  int64: 'i64',
} as const;
const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The adapter as recorded by the golden case: shapes of its saved tensors and its config kwargs. */
function recordedAdapter(
  c: GoldenCase,
  saveOnlyTopkWeights: boolean,
): { adapter: AdapterShapeSummary; otherDtype: string } {
  const summary = readSummary(c);
  const keys = summary.adapter_full_keys;
  const [, bank] = keys['base_model.vblora_vector_bank'] as [string, number[]];
  const [nv, vl] = bank as [number, number];
  const modules = Object.keys(keys)
    .filter((k) => k.endsWith('.vblora_logits_A'))
    .map((k) => {
      const [r, inTiles] = (keys[k] as [string, number[]])[1] as [number, number];
      const [outTiles] = (keys[k.replace(/_A$/, '_B')] as [string, number[]])[1] as [number];
      return { r, inFeatures: inTiles * vl, outFeatures: outTiles * vl };
    });
  const others = Object.entries(keys).filter(([k]) => k.startsWith(PREFIX) && !k.includes('vblora_'));
  const sum = (entries: typeof others): number => entries.reduce((n, [, [, shape]]) => n + numel(shape), 0);
  const adapter: AdapterShapeSummary = {
    numVectors: nv,
    vectorLength: vl,
    topk: (summary.config_kwargs['topk'] as number | undefined) ?? 2,
    saveOnlyTopkWeights,
    modules,
    modulesToSaveParams: sum(others.filter(([k]) => !k.includes('.base_layer.'))),
    trainableBaseParams: sum(others.filter(([k]) => k.includes('.base_layer.'))),
  };
  return { adapter, otherDtype: others[0]?.[1][0] ?? 'float32' };
}

describe.each(GOLDEN_CASES)('golden accounting %s', (c) => {
  const summary = readSummary(c);
  const full = recordedAdapter(c, false).adapter;
  const topk = recordedAdapter(c, true).adapter;
  const baseParams = readSafetensorsHeader(goldenPath(c, 'base.safetensors')).tensors.reduce(
    (n, t) => n + numel(t.shape),
    0,
  );

  it('print_trainable_parameters: counts and line', () => {
    const p = pythonTrainableParameters(full, { baseParams });
    expect(p).toEqual(summary.trainable_parameters);
    expect(formatTrainableParameters(p)).toBe(summary.stdout.print_trainable_parameters);
  });

  it('get_nb_savable_parameters / print_savable_parameters for both flags', () => {
    for (const [adapter, recorded] of [
      [full, summary.savable_parameters_topk_False],
      [topk, summary.savable_parameters_topk_True],
    ] as const) {
      const p = pythonSavableParameters(adapter);
      expect(p).toEqual({ vbloraParams: recorded.vblora_params, otherParams: recorded.other_params });
      expect(formatSavableParameters(p)).toBe(recorded.print);
    }
  });

  it("the per-adapter count equals PEFT's for a single adapter", () => {
    const count = adapterParameterCount(full);
    expect([count.vblora, count.other]).toEqual([
      summary.savable_parameters_topk_False.vblora_params,
      summary.savable_parameters_topk_False.other_params,
    ]);
  });

  it('index dtype is the one of the saved *_topk_indices', () => {
    const dtypes = Object.entries(summary.adapter_topk_keys)
      .filter(([k]) => k.endsWith('_topk_indices'))
      .map(([, [dtype]]) => DTYPES[dtype as keyof typeof DTYPES]);
    expect(new Set(dtypes)).toEqual(new Set([indexDtypeFor(full.numVectors)]));
  });

  it('payload bytes equal the tensor bytes of both saved checkpoints', () => {
    const otherDtype = DTYPES[recordedAdapter(c, false).otherDtype as 'float32'] as 'f32';
    for (const [adapter, dir] of [
      [full, 'adapter_full'],
      [topk, 'adapter_topk'],
    ] as const) {
      const file = readSafetensorsHeader(goldenPath(c, dir, 'adapter_model.safetensors'));
      expect(checkpointPayloadBytes(adapter, { otherDtype }).totalBytes).toBe(file.payloadBytes);
    }
  });
});
