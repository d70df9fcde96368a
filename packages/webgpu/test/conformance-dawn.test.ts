/**
 * The shared conformance suite on WebGPU in Node: Dawn on whatever Vulkan driver the machine has (SwiftShader from
 * Debian's chromium when there is no GPU). With CI=true a missing adapter fails the suite instead of skipping it.
 */
import { runConformance } from '@vblora/conformance/vitest';
import { createWebGpuBackend } from '../src/index.js';
import { testGpu } from './helpers/gpu.js';

runConformance(createWebGpuBackend({ gpu: testGpu(), name: 'webgpu-dawn' }));
