/** Bundles a browser entry (TypeScript sources of this repo) into one ES module string with vite. */
import { fileURLToPath } from 'node:url';
import { build, type Rollup } from 'vite';

const stub = fileURLToPath(new URL('../browser/node-fs-stub.ts', import.meta.url));

/** Builds `entry` for the browser; node:fs / node:path / node:url resolve to the stub module. */
export async function bundleForBrowser(entry: string): Promise<string> {
  const out = await build({
    configFile: false,
    logLevel: 'silent',
    resolve: {
      conditions: ['@vblora/source', 'browser', 'module', 'import', 'default'],
      alias: [
        { find: /^node:(fs|path|url)$/, replacement: stub },
        { find: /^(fs|path|url)$/, replacement: stub },
      ],
    },
    build: {
      write: false,
      minify: false,
      target: 'es2022',
      lib: { entry, formats: ['es'], fileName: 'bundle' },
    },
  });
  const outputs = (Array.isArray(out) ? out : [out]) as Rollup.RollupOutput[];
  const chunks = outputs.flatMap((o) => o.output).filter((o): o is Rollup.OutputChunk => o.type === 'chunk');
  if (chunks.length !== 1) throw new Error(`expected one bundle chunk, got ${chunks.length}`);
  return chunks[0]!.code;
}
