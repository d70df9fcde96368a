import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { checkLayerDims, createConfig } from '../../src/config/index.js';

// Messages are compared against SPEC §1.3's quoted text (tolerance: none).
const MODULE = 'model.layers.0.mlp.up_proj';

function thrown(fn: () => void): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('no error');
}

describe('checkLayerDims', () => {
  const config = createConfig({ vector_length: 16, num_vectors: 64 });

  it('accepts layers whose features are multiples of vector_length', () => {
    expect(() => checkLayerDims(config, 64, 176, MODULE)).not.toThrow();
  });

  it('gives PEFT in_features message first, naming the module', () => {
    const err = thrown(() => checkLayerDims(config, 30, 20, MODULE));
    expect(err).toBeInstanceOf(ShapeError);
    expect(err.message).toBe(`\`in_features\` 30 must be divisible by \`vector_length\` 16 (module ${MODULE})`);
    expect((err as ShapeError).where).toBe(MODULE);
  });

  it('gives PEFT out_features message', () => {
    const err = thrown(() => checkLayerDims(config, 32, 20, MODULE));
    expect(err.message).toBe(`\`out_features\` 20 must be divisible by \`vector_length\` 16 (module ${MODULE})`);
  });

  it('checks r, then topk, before the shapes (PEFT order)', () => {
    const err = thrown(() => checkLayerDims({ r: 0, topk: 0, vector_length: 16 }, 30, 30, MODULE));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message.startsWith('`r` 0 should be a positive integer value')).toBe(true);
    const err2 = thrown(() => checkLayerDims({ r: 2, topk: -1, vector_length: 16 }, 30, 30, MODULE));
    expect(err2.message.startsWith('`topk` -1 should be a positive integer value')).toBe(true);
  });

  it('rejects non-positive or fractional feature counts', () => {
    expect(() => checkLayerDims(config, 0, 16, MODULE)).toThrow(ShapeError);
    expect(() => checkLayerDims(config, 16, 16.5, MODULE)).toThrow(ShapeError);
    expect(() => checkLayerDims(config, Number.NaN, 16, MODULE)).toThrow(ShapeError);
  });
});
