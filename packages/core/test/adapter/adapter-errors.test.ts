import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  adapterFromFiles,
  CheckpointFormatError,
  readSafetensors,
  writeSafetensors,
  type HostTensor,
} from '@vblora/core';
import { readGoldenBytes } from '../helpers/golden-files.js';
import { goldenPath } from '../helpers/golden-paths.js';

const CASE = 'llama_f32_vl16_nv64_top2';
const config = readFileSync(goldenPath(CASE, 'adapter_topk', 'adapter_config.json'), 'utf8');
const base = readSafetensors(readGoldenBytes(CASE, 'adapter_topk', 'adapter_model.safetensors'));
const IDX = 'base_model.model.model.layers.0.self_attn.q_proj.vblora_logits_A_topk_indices';
const W = 'base_model.model.model.layers.0.self_attn.q_proj.vblora_logits_A_topk_weights';

function withTensor(key: string, t: HostTensor | undefined): Uint8Array {
  const m = new Map(base.tensors);
  if (t === undefined) m.delete(key);
  else m.set(key, t);
  return writeSafetensors(m);
}

function loadError(weights: Uint8Array): CheckpointFormatError {
  try {
    adapterFromFiles({ config, weights });
  } catch (e) {
    if (e instanceof CheckpointFormatError) return e;
    throw e;
  }
  throw new Error('expected a CheckpointFormatError');
}

describe('bad adapter tensors are typed errors naming the tensor and rule', () => {
  const idx = base.tensors.get(IDX)!;
  const w = base.tensors.get(W)!;

  it('index ≥ nv', () => {
    const data = Uint8Array.from(idx.data as Uint8Array);
    data[3] = 64;
    const e = loadError(withTensor(IDX, { ...idx, data }));
    expect([e.rule, e.tensor]).toEqual(['topk-index-range', IDX]);
  });

  it('a negative index (i16 file)', () => {
    const data = Int16Array.from(idx.data as Uint8Array);
    data[0] = -1;
    const e = loadError(withTensor(IDX, { dtype: 'i16', shape: idx.shape, data }));
    expect(e.rule).toBe('topk-index-range');
  });

  it('the same vector twice in a row', () => {
    const data = Uint8Array.from(idx.data as Uint8Array);
    data[1] = data[0]!;
    expect(loadError(withTensor(IDX, { ...idx, data })).rule).toBe('topk-index-duplicate');
  });

  it('weights above 1, negative or NaN', () => {
    for (const bad of [1.5, -0.1, Number.NaN]) {
      const data = Float32Array.from(w.data as Float32Array);
      data[2] = bad;
      expect(loadError(withTensor(W, { ...w, data })).rule).toBe('topk-weight-range');
    }
  });

  it('a wrong shape, a float index, a missing factor, a missing bank', () => {
    expect(loadError(withTensor(W, { dtype: 'f32', shape: [4, 4, 2], data: new Float32Array(32) })).rule).toBe(
      'adapter-shape',
    );
    expect(loadError(withTensor(IDX, { dtype: 'f32', shape: idx.shape, data: new Float32Array(32) })).rule).toBe(
      'adapter-dtype',
    );
    expect(loadError(withTensor(W, undefined)).rule).toBe('adapter-missing-factor');
    expect(loadError(withTensor('base_model.vblora_vector_bank', undefined)).rule).toBe('adapter-missing-bank');
  });

  it('non-finite bank values are reported with their location', () => {
    const bank = base.tensors.get('base_model.vblora_vector_bank')!;
    const data = Float32Array.from(bank.data as Float32Array);
    data[16 * 5 + 3] = Number.POSITIVE_INFINITY;
    const { warnings } = adapterFromFiles({
      config,
      weights: withTensor('base_model.vblora_vector_bank', { ...bank, data }),
    });
    expect(warnings).toContain('non-finite value Infinity in base_model.vblora_vector_bank at (5, 3)');
  });
});
