import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const CORE_SRC = resolve(fileURLToPath(new URL('../../../src/', import.meta.url)));

/**
 * Makes `@vblora/core` runnable by a plain `node` child process, which cannot load TypeScript: the import closure
 * of `entries` (paths under packages/core/src) is transpiled file by file into `outDir`, keeping the layout. This
 * works from a clean clone (no build step, no dist) and runs our own code, not a copy of it. Returns the path of
 * each entry's `.js` file.
 */
export function transpileCore(outDir: string, entries: readonly string[]): string[] {
  const done = new Set<string>();
  const queue = entries.map((e) => resolve(CORE_SRC, e));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (done.has(file)) continue;
    done.add(file);
    const source = readFileSync(file, 'utf8');
    const { outputText } = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    const out = join(outDir, relative(CORE_SRC, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
    // Relative imports of the emitted code (type-only imports are already gone) are the rest of the closure.
    for (const m of outputText.matchAll(/\b(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)\.js['"]/g)) {
      queue.push(resolve(dirname(file), `${m[1]}.ts`));
    }
  }
  return entries.map((e) => join(outDir, e).replace(/\.ts$/, '.js'));
}
