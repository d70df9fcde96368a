/**
 * Test access to a WebGPU device in Node (Dawn on SwiftShader when there is no GPU). One runtime per test file.
 * With CI=true a missing adapter fails the tests instead of skipping them.
 */
import { BackendUnavailableError } from '@vblora/core';
import { createWebGpuRuntime, type WebGpuRuntime, type WebGpuRuntimeOptions } from '../../src/index.js';
import { nodeGpu, swiftShaderOptions } from '../../src/node.js';

/** The Dawn entry point, set up for SwiftShader from Debian's chromium when it is installed. */
export function testGpu(): GPU {
  return nodeGpu(swiftShaderOptions() ?? {});
}

/** Opens a runtime, or returns undefined when there is no adapter (rethrows with CI=true: tests must run there). */
export async function openRuntime(options: WebGpuRuntimeOptions = {}): Promise<WebGpuRuntime | undefined> {
  try {
    return await createWebGpuRuntime({ gpu: testGpu(), ...options });
  } catch (e) {
    if (e instanceof BackendUnavailableError && process.env.CI !== 'true') return undefined;
    throw e;
  }
}
