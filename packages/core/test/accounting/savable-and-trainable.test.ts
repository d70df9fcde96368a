import { describe, expect, it } from 'vitest';
import {
  AdapterError,
  adapterParameterCount,
  ConfigError,
  formatSavableParameters,
  formatTrainableParameters,
  pythonSavableParameters,
  pythonTrainableParameters,
  type AdapterShapeSummary,
} from '@vblora/core';

// One 64->64 layer, r 4, vl 16: logits A (4, 4, nv) + B (4, 4, nv) = 32 rows of nv logits.
const a: AdapterShapeSummary = {
  name: 'default',
  numVectors: 64,
  vectorLength: 16,
  topk: 2,
  saveOnlyTopkWeights: true,
  modules: [{ r: 4, inFeatures: 64, outFeatures: 64 }],
  modulesToSaveParams: 100,
};
// A second adapter on two layers with its own bank: nv 300, k 3, 64 rows of 300 logits.
const b: AdapterShapeSummary = {
  name: 'other',
  numVectors: 300,
  vectorLength: 16,
  topk: 3,
  saveOnlyTopkWeights: false,
  modules: [
    { r: 4, inFeatures: 64, outFeatures: 64 },
    { r: 4, inFeatures: 64, outFeatures: 64 },
  ],
  trainableBaseParams: 7,
};

describe('get_nb_savable_parameters (SPEC §6.1)', () => {
  it('top-k flag: bank + rows·(k-1) + rows·k·index factor, one int() at the end', () => {
    // 1024 + 32·1 + 32·2·0.25 = 1072
    expect(pythonSavableParameters(a)).toEqual({ vbloraParams: 1072, otherParams: 100 });
    expect(formatSavableParameters({ vbloraParams: 1072, otherParams: 100 })).toBe(
      'VB-LoRA params to-be-saved (float32-equivalent): 1,072 || total params to-be-saved: 1,172',
    );
  });

  it('truncates the float sum once, like Python int()', () => {
    const odd: AdapterShapeSummary = {
      numVectors: 3,
      vectorLength: 1,
      topk: 2,
      saveOnlyTopkWeights: true,
      modules: [{ r: 1, inFeatures: 1, outFeatures: 1 }],
    };
    // logits 6, bank 3: 3 + 6/3·1 + 6/3·2·0.25 = 3 + 2 + 1 = 6
    expect(pythonSavableParameters(odd).vbloraParams).toBe(6);
    const odd5: AdapterShapeSummary = { ...odd, topk: 1 };
    // 3 + 0 + 2·1·0.25 = 3.5 -> 3
    expect(pythonSavableParameters(odd5).vbloraParams).toBe(3);
  });

  it("counts the logits and banks of every adapter, with the chosen adapter's flag and sizes (SPEC §7.10)", () => {
    const bankA = 64 * 16;
    const bankB = 300 * 16;
    const logitsA = 32 * 64;
    const logitsB = 64 * 300;
    const logits = logitsA + logitsB;
    // adapter "default": top-k flag, nv 64 (factor 0.25), k 2, but all logits
    expect(pythonSavableParameters([a, b])).toEqual({
      vbloraParams: Math.trunc(bankA + bankB + (logits / 64) * 1 + (logits / 64) * 2 * 0.25),
      otherParams: 100,
    });
    // adapter "other": full flag -> plain sum of everything; other params follow the active adapters
    expect(pythonSavableParameters([a, b], { adapter: 'other', active: ['other'] })).toEqual({
      vbloraParams: bankA + bankB + logits,
      otherParams: 7,
    });
    // the per-adapter count does not mix adapters
    expect(adapterParameterCount(b)).toEqual({
      logits: logitsB,
      bank: bankB,
      vblora: logitsB + bankB,
      other: 7,
      total: logitsB + bankB + 7,
    });
  });

  it('rejects unknown and duplicate adapter names', () => {
    expect(() => pythonSavableParameters([a, b], { adapter: 'nope' })).toThrow(AdapterError);
    expect(() => pythonSavableParameters([a, a])).toThrow(AdapterError);
    expect(() => pythonSavableParameters([])).toThrow(AdapterError);
  });
});

describe('get_nb_trainable_parameters (SPEC §6.1)', () => {
  it('all = base + every adapter (logits, bank, modules_to_save copies); trainable = the active ones', () => {
    const own = (x: AdapterShapeSummary): number => adapterParameterCount(x).logits + adapterParameterCount(x).bank;
    const p = pythonTrainableParameters([a, b], { baseParams: 10_000 });
    expect(p).toEqual({ trainable: own(a) + 100, all: 10_000 + own(a) + 100 + own(b) });
    const both = pythonTrainableParameters([a, b], { baseParams: 10_000, active: ['default', 'other'] });
    expect(both.trainable).toBe(own(a) + 100 + own(b) + 7); // unfrozen biases count as trainable, not as new params
    expect(pythonTrainableParameters([a, b], { baseParams: 10_000, active: [] }).trainable).toBe(0);
  });

  it("prints PEFT's line and refuses a model without parameters", () => {
    expect(formatTrainableParameters({ trainable: 29696, all: 97952 })).toBe(
      'trainable params: 29,696 || all params: 97,952 || trainable%: 30.3169',
    );
    expect(() => formatTrainableParameters({ trainable: 0, all: 0 })).toThrow(AdapterError);
  });
});

describe('adapter summary validation (PEFT messages)', () => {
  it('requires vector_length to divide the features and positive r/topk', () => {
    expect(() => adapterParameterCount({ ...a, modules: [{ r: 4, inFeatures: 60, outFeatures: 64 }] })).toThrow(
      '`in_features` 60 must be divisible by `vector_length` 16',
    );
    expect(() => adapterParameterCount({ ...a, modules: [{ r: 0, inFeatures: 64, outFeatures: 64 }] })).toThrow(
      ConfigError,
    );
    expect(() => adapterParameterCount({ ...a, topk: 0, modules: [] })).toThrow(
      '`topk` 0 should be a positive integer value',
    );
    expect(() => adapterParameterCount({ ...a, modulesToSaveParams: -1 })).toThrow(ConfigError);
  });
});
