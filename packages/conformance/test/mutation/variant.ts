/**
 * Source variants of the example backend (`examples/tiny-backend.ts`): the file's text with a few exact edits,
 * written beside this folder under `.variants/<pid>/` (git-ignored, removed after the run) and imported, so each
 * variant is a real program, not a switch inside the example.
 * @module
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineBackend, type Backend, type KernelSet } from '@vblora/core';

/** One exact text replacement: `find` must occur exactly once in the example. */
export type Edit = readonly [find: string, replace: string];

const here = dirname(fileURLToPath(import.meta.url));
const EXAMPLE = join(here, '../../examples/tiny-backend.ts');
const OUT = join(here, '.variants', String(process.pid));

/** The example's source with `edits` applied, in order. */
export function editedSource(edits: readonly Edit[]): string {
  let src = readFileSync(EXAMPLE, 'utf8');
  for (const [find, replace] of edits) {
    const at = src.indexOf(find);
    if (at < 0 || src.indexOf(find, at + 1) >= 0) {
      throw new Error(
        `edit target must occur exactly once in examples/tiny-backend.ts (found ${at < 0 ? 0 : 'several'}):\n${find}`,
      );
    }
    src = src.slice(0, at) + replace + src.slice(at + find.length);
  }
  return src;
}

/** The backend of the example edited by `edits`, named `tiny~<id>`. */
export async function variantBackend(id: string, edits: readonly Edit[]): Promise<Backend> {
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, `${id}.ts`);
  writeFileSync(file, editedSource(edits));
  const mod = (await import(file)) as { tinyKernels: KernelSet };
  return defineBackend({ name: `tiny~${id}`, precision: 'f32', isAvailable: () => true, kernels: mod.tinyKernels });
}

/** Deletes this process's variant files. */
export function removeVariants(): void {
  rmSync(OUT, { recursive: true, force: true });
  try {
    if (readdirSync(dirname(OUT)).length === 0) rmSync(dirname(OUT), { recursive: true, force: true });
  } catch {
    // another run removed it, or still uses it
  }
}
