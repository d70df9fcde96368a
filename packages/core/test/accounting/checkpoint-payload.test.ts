import { describe, expect, it } from 'vitest';
import { checkpointPayloadBytes, ConfigError, type AdapterShapeSummary } from '@vblora/core';

// 32 rows of nv logits (one 64->64 layer, r 4, vl 16), bank nv x 16.
const base: AdapterShapeSummary = {
  numVectors: 64,
  vectorLength: 16,
  topk: 2,
  saveOnlyTopkWeights: false,
  modules: [{ r: 4, inFeatures: 64, outFeatures: 64 }],
  trainableBaseParams: 64,
};

describe('checkpointPayloadBytes (SPEC §5.2, §5.3)', () => {
  it('full flavour: logits and bank in the adapter dtype, others in the base dtype', () => {
    expect(checkpointPayloadBytes(base, { otherDtype: 'bf16' })).toEqual({
      logitsBytes: 32 * 64 * 4,
      indexBytes: 0,
      weightBytes: 0,
      bankBytes: 64 * 16 * 4,
      otherBytes: 64 * 2,
      totalBytes: 32 * 64 * 4 + 64 * 16 * 4 + 64 * 2,
    });
  });

  it('top-k flavour: k indices in the index dtype and k-1 weights per row', () => {
    const p = checkpointPayloadBytes({ ...base, numVectors: 256, topk: 3 }, { topkOnly: true });
    expect([p.indexBytes, p.weightBytes, p.logitsBytes]).toEqual([32 * 3 * 2, 32 * 2 * 4, 0]); // 256 -> int16
    const k1 = checkpointPayloadBytes({ ...base, topk: 1, saveOnlyTopkWeights: true });
    expect([k1.indexBytes, k1.weightBytes]).toEqual([32, 0]); // zero-sized weights for k = 1
  });

  it('refuses k > nv, which torch.topk cannot save', () => {
    expect(() => checkpointPayloadBytes({ ...base, numVectors: 2, topk: 3 }, { topkOnly: true })).toThrow(ConfigError);
  });
});
