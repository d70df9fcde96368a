/**
 * The shared conformance suite on WebGPU in Node: Dawn on whatever Vulkan driver the machine has (SwiftShader from
 * Debian's chromium when there is no GPU). Without an adapter the suite is skipped, except with CI=true, where it
 * runs and fails.
 */
import { runConformance } from '@vblora/conformance/vitest';
import { it } from 'vitest';
import { createWebGpuBackend } from '../src/index.js';
import { testGpu } from './helpers/gpu.js';

const backend = createWebGpuBackend({ gpu: testGpu(), name: 'webgpu-dawn' });

if (process.env.CI === 'true' || (await backend.isAvailable())) {
  runConformance(backend);
} else {
  it('conformance: webgpu-dawn', (ctx) => ctx.skip('no WebGPU adapter on this machine'));
}
