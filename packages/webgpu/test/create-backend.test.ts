import { describe, expect, it } from 'vitest';
import { ConfigError, referenceBackend, tensor } from '@vblora/core';
import { createBackend } from '@vblora/webgpu';
import { createBackend as createNodeBackend } from '@vblora/webgpu/node';

// In Node, the package's `node` condition gives the Dawn factory from the main entry too.
describe('createBackend (@vblora/webgpu, Node)', () => {
  it('is the Dawn factory from both entries, takes no options', async () => {
    expect(createBackend).toBe(createNodeBackend);
    await expect(createBackend({ gpu: 'x' })).rejects.toBeInstanceOf(ConfigError);
  });

  it('makes a webgpu backend that computes what the reference does, where an adapter exists', async () => {
    const b = await createBackend();
    expect(b.name).toBe('webgpu');
    if (!(await b.isAvailable())) {
      if (process.env['CI'] === 'true') throw new Error('no WebGPU adapter (SwiftShader) on CI');
      return;
    }
    const x = tensor('f32', [1, 2], new Float32Array([1, 2]));
    const weight = tensor('f32', [1, 2], new Float32Array([3, 4]));
    const want = await referenceBackend.kernels.linear!({ x, weight });
    const got = await b.kernels.linear!({ x, weight });
    expect(Array.from(got.data)).toEqual(Array.from(want.data));
  });
});
