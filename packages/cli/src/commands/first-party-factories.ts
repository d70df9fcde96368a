/**
 * `createBackend(options)` for the first-party backend packages that do not export one yet, so that
 * `vblora conformance` certifies them the way it certifies any module. Used only when the module itself exports
 * no `createBackend`.
 * TODO(#16): drop each entry once its package exports `createBackend` itself.
 * @module
 */
import type { Backend } from '@vblora/core';
import type { BackendFactory, BackendOptions } from './backend-module.js';

/** Refuses option keys a factory does not know (a typo must not certify the default configuration). */
function onlyKeys(options: BackendOptions, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new Error(`unknown option "${key}"; ${known.length === 0 ? 'it takes none' : `options: ${known.join(', ')}`}`);
    }
  }
}

type Module = Record<string, unknown>;

/** Package name → the factory the CLI builds from what the package exports today. */
const FACTORIES: Readonly<Record<string, (mod: Module) => BackendFactory>> = {
  // backend=reference (the default export) or cpu (WebAssembly SIMD)
  '@vblora/core': (mod) => (options) => {
    onlyKeys(options, ['backend']);
    const which = options['backend'] ?? 'reference';
    if (which === 'reference') return mod['referenceBackend'] as Backend;
    if (which === 'cpu') return (mod['createCpuBackend'] as () => Backend)();
    throw new Error(`backend must be reference or cpu, got "${which}"`);
  },
  // tfBackend=cpu (default) or wasm (its binaries loaded from node_modules)
  '@vblora/tfjs': (mod) => async (options) => {
    onlyKeys(options, ['tfBackend']);
    const tfBackend = options['tfBackend'] ?? 'cpu';
    (await import('./tf-node.js')).prepareTfNode();
    return (mod['createTfjsBackend'] as (o: { tfBackend: string }) => Backend)({ tfBackend });
  },
  // Dawn in Node; SwiftShader when no Vulkan driver is configured
  '@vblora/webgpu': () => async (options) => {
    onlyKeys(options, []);
    return (await import('@vblora/webgpu/node')).createNodeWebGpuBackend();
  },
};

/** The stand-in factory for a first-party package without `createBackend`, or undefined. @internal */
export function firstPartyFactory(spec: string, mod: Module): BackendFactory | undefined {
  return Object.hasOwn(FACTORIES, spec) ? FACTORIES[spec]!(mod) : undefined;
}
