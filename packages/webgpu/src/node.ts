/**
 * `@vblora/webgpu/node`: WebGPU in Node through Dawn (the `webgpu` package). Browsers never import this entry.
 *
 * @example
 * ```ts
 * import { createWebGpuBackend } from '@vblora/webgpu';
 * import { nodeGpu } from '@vblora/webgpu/node';
 * const backend = createWebGpuBackend({ gpu: nodeGpu() });
 * ```
 * @packageDocumentation
 */
// Kept in the emitted node.d.ts (`preserve`): `GPU` comes from @webgpu/types.
/// <reference types="@webgpu/types" preserve="true" />
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { create } from 'webgpu';

/** Options of {@link nodeGpu}. */
export interface NodeGpuOptions {
  /** Dawn options passed to `create()`, e.g. `['backend=vulkan']` or `['adapter=NVIDIA ...']`. */
  readonly dawnOptions?: readonly string[];
  /**
   * A directory holding a Vulkan loader (`libvulkan.so.1`) to load before Dawn looks for one, for machines whose
   * only loader ships inside an application (Debian's chromium: `/usr/lib/chromium`). Linux only.
   */
  readonly vulkanLoaderDir?: string;
}

// Dawn's GPU object must stay reachable for the whole process: if it is garbage-collected while devices exist,
// the process crashes. One instance per option set, kept here for good.
const instances = new Map<string, GPU>();

/** RTLD_NODELETE (glibc): keeps the loader mapped after Node's dlopen reports it is not an addon. */
const RTLD_NODELETE = 0x1000;

function preloadVulkan(dir: string): void {
  const lib = join(dir, 'libvulkan.so.1');
  if (process.platform !== 'linux' || !existsSync(lib)) return;
  try {
    // Loading by absolute path registers the soname, so Dawn's later dlopen("libvulkan.so.1") finds it.
    process.dlopen({ exports: {} }, lib, constants.dlopen.RTLD_NOW | RTLD_NODELETE);
  } catch {
    // "Module did not self-register" is expected: the library is not a Node addon, but it stays loaded.
  }
}

/**
 * The WebGPU entry point for Node (Dawn), to pass as `{ gpu }` to `createWebGpuRuntime` / `createWebGpuBackend`.
 * The same options return the same instance.
 */
export function nodeGpu(options: NodeGpuOptions = {}): GPU {
  const key = JSON.stringify([options.dawnOptions ?? [], options.vulkanLoaderDir ?? '']);
  let gpu = instances.get(key);
  if (gpu === undefined) {
    if (options.vulkanLoaderDir !== undefined) preloadVulkan(options.vulkanLoaderDir);
    gpu = create([...(options.dawnOptions ?? [])]);
    instances.set(key, gpu);
  }
  return gpu;
}

/** Debian's chromium ships SwiftShader (a CPU Vulkan driver) and a Vulkan loader in this directory. */
export const CHROMIUM_VULKAN_DIR = '/usr/lib/chromium';

/**
 * Options for running on SwiftShader from Debian's chromium package when the machine has no GPU: sets
 * `VK_ICD_FILENAMES` (unless already set) and loads chromium's Vulkan loader. Returns undefined when chromium's
 * SwiftShader is not installed.
 */
export function swiftShaderOptions(): NodeGpuOptions | undefined {
  const icd = join(CHROMIUM_VULKAN_DIR, 'vk_swiftshader_icd.json');
  if (!existsSync(icd)) return undefined;
  process.env.VK_ICD_FILENAMES ??= icd;
  return { vulkanLoaderDir: CHROMIUM_VULKAN_DIR };
}

/**
 * A WebGPU backend for Node on Dawn; when no Vulkan driver is configured it uses Chromium's SwiftShader (slow,
 * for tests). The GPU object is created on first call, not on import.
 */
export async function createNodeWebGpuBackend(): Promise<import('@vblora/core').Backend> {
  const { createWebGpuBackend } = await import('./backend/webgpu-backend.js');
  return createWebGpuBackend({ gpu: nodeGpu(swiftShaderOptions() ?? {}) });
}
export { createBackend } from './backend/create-backend-node.js';
