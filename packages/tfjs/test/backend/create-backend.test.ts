import { describe, expect, it } from 'vitest';
import { ConfigError, tensor } from '@vblora/core';
import { createBackend } from '@vblora/tfjs';

describe('createBackend (@vblora/tfjs)', () => {
  it('makes a tf.js cpu backend by default and a wasm one on request, each computing', async () => {
    for (const [options, name] of [
      [{}, 'tfjs-cpu'],
      [{ tfBackend: 'wasm' }, 'tfjs-wasm'],
    ] as const) {
      const b = await createBackend(options);
      expect(b.name).toBe(name);
      expect(await b.isAvailable()).toBe(true);
      const x = tensor('f32', [1, 2], new Float32Array([1, 2]));
      const weight = tensor('f32', [1, 2], new Float32Array([3, 4]));
      const y = await b.kernels.linear!({ x, weight });
      expect(Array.from(y.data)).toEqual([11]);
    }
  });

  it('refuses unknown keys with ConfigError', async () => {
    await expect(createBackend({ backend: 'wasm' })).rejects.toBeInstanceOf(ConfigError);
  });
});
