/**
 * Bundles a page entry with esbuild for the browser, as a user's bundler would (`platform: 'browser'`), resolving
 * this repository's packages to their sources. Node built-ins are left external and listed, so a test can fail
 * naming the module that pulled one in.
 */
import { builtinModules } from 'node:module';
import { build } from 'esbuild';

/** A bundle, the Node built-ins its import graph reached (with the importing file), and every file it holds. */
export interface BrowserBundle {
  readonly code: string;
  readonly nodeBuiltins: readonly string[];
  readonly inputs: readonly string[];
}

const BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** Bundles `entry` into one ES module for browsers. */
export async function bundleForBrowser(entry: string, conditions: readonly string[] = []): Promise<BrowserBundle> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@vblora/source', ...conditions],
    external: [...BUILTINS],
    metafile: true,
    logLevel: 'silent',
  });
  const nodeBuiltins = Object.entries(out.metafile.inputs).flatMap(([file, input]) =>
    input.imports.filter((i) => BUILTINS.has(i.path)).map((i) => `${i.path} (from ${file})`),
  );
  return { code: out.outputFiles[0]!.text, nodeBuiltins, inputs: Object.keys(out.metafile.inputs) };
}
