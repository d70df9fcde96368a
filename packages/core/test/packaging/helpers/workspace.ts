/**
 * The repository's publishable packages, their built state, and child processes for the packaging checks.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

/** One publishable package: its folder and package.json. */
export interface PublishedPackage {
  readonly name: string;
  readonly dir: string;
  readonly json: { readonly name: string; readonly private?: boolean; readonly exports?: Record<string, unknown> };
}

/** Every packages/* folder whose package.json is not private. */
export function publishedPackages(): PublishedPackage[] {
  const out: PublishedPackage[] = [];
  for (const entry of readdirSync(join(ROOT, 'packages')).sort()) {
    const file = join(ROOT, 'packages', entry, 'package.json');
    if (!existsSync(file)) continue;
    const json = JSON.parse(readFileSync(file, 'utf8')) as PublishedPackage['json'];
    if (json.private !== true) out.push({ name: json.name, dir: join(ROOT, 'packages', entry), json });
  }
  return out;
}

/** The import specifiers a package's exports map offers (`./package.json` left out). */
export function entrySpecifiers(pkg: PublishedPackage): string[] {
  return Object.keys(pkg.json.exports ?? { '.': null })
    .filter((k) => k !== './package.json')
    .map((k) => (k === '.' ? pkg.name : `${pkg.name}/${k.slice(2)}`));
}

/** A finished child process. */
export interface Run {
  readonly status: number;
  readonly output: string;
}

/** Runs a command to completion (never throws for a non-zero exit); stdout and stderr together. */
export function run(
  file: string,
  args: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 2 ** 20, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const status = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ status, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** `scripts/require-dist.mjs` (the packages' prepack guard): exit 0 when dist/ is built and current. */
export function distIsCurrent(pkg: PublishedPackage): Promise<Run> {
  return run(process.execPath, [join(ROOT, 'scripts', 'require-dist.mjs')], pkg.dir);
}
