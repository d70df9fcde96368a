/**
 * Bundles the browser page (transformers.js's web build, onnxruntime-web, this package's universal entry) into one
 * ES module with vite, the bundler the repository already uses — with no alias or external: the Node-only parts of
 * `@vblora/onnx` and `@vblora/core` drop out by tree-shaking (`"sideEffects": false`), as in a user's build.
 * `onnxruntime-web-use-extern-wasm` picks onnxruntime-web's build that loads its .wasm from `wasmPaths` (the page
 * serves it) instead of carrying it inline (1.3 MB instead of 73 MB).
 */
import { build, type Rollup } from 'vite';

/** Builds `entry` for the browser. */
export async function bundlePage(entry: string): Promise<string> {
  const out = await build({
    configFile: false,
    logLevel: 'silent',
    resolve: {
      conditions: ['@vblora/source', 'onnxruntime-web-use-extern-wasm', 'browser', 'module', 'import', 'default'],
    },
    build: {
      write: false,
      minify: false,
      target: 'es2022',
      lib: { entry, formats: ['es'], fileName: 'bundle' },
      rollupOptions: {
        output: { codeSplitting: false },
      },
    },
  });
  const outputs = (Array.isArray(out) ? out : [out]) as Rollup.RollupOutput[];
  const chunks = outputs.flatMap((o) => o.output).filter((o): o is Rollup.OutputChunk => o.type === 'chunk');
  if (chunks.length !== 1) throw new Error(`expected one bundle chunk, got ${chunks.length}`);
  return chunks[0]!.code;
}
