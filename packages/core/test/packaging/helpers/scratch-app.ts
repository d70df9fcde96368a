/**
 * Scratch applications outside the repository, set up as a user's project would be: the packages packed with
 * `npm pack`, installed from the tarballs by `npm install` beside chosen runtime versions, nothing linked. Child
 * processes get an environment without the npm variables of the run that started vitest, so the app's own folder
 * decides what npm and Node resolve.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, type PublishedPackage } from './workspace.js';

/** The small programs run in each app (`<name>.mjs`). */
export const PROGRAMS_DIR = fileURLToPath(new URL('./scratch-programs/', import.meta.url));

/** npm settings a machine may rely on to reach its registry; every other npm_* variable is left out. */
const KEPT_NPM_VARIABLES = new Set([
  'npm_config_cache',
  'npm_config_registry',
  'npm_config_userconfig',
  'npm_config_cafile',
]);

/** A finished child process, its streams apart. */
export interface Finished {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command in `cwd` to completion or until `timeoutMs` (then killed: status non-zero), never throwing. The
 * environment is this process's without npm_* variables (but the registry and cache settings) and NODE_PATH, with
 * onnxruntime-node's install script switched off.
 */
export function runIn(cwd: string, file: string, args: readonly string[], timeoutMs: number): Promise<Finished> {
  const env: NodeJS.ProcessEnv = { ONNXRUNTIME_NODE_INSTALL: 'skip' };
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'NODE_PATH' || k === 'ONNXRUNTIME_NODE_INSTALL') continue;
    if (/^npm_/i.test(k) && !KEPT_NPM_VARIABLES.has(k.toLowerCase())) continue;
    env[k] = v;
  }
  return new Promise((resolve) => {
    const options = {
      cwd,
      env,
      timeout: timeoutMs,
      killSignal: 'SIGKILL' as const,
      maxBuffer: 64 * 2 ** 20,
      encoding: 'utf8' as const,
    };
    execFile(file, [...args], options, (err, stdout, stderr) => {
      const status = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      const killed = err?.killed === true ? `\n(killed after ${timeoutMs} ms)` : '';
      resolve({ status, stdout, stderr: `${stderr}${killed}` });
    });
  });
}

/** The file name `npm pack` gives a package: `@scope/name` 1.2.3 → `scope-name-1.2.3.tgz`. */
function tarballName(pkg: PublishedPackage): string {
  const { version } = JSON.parse(readFileSync(join(pkg.dir, 'package.json'), 'utf8')) as { version: string };
  return `${pkg.name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
}

/**
 * Packs every package into `dest` in one `npm pack` (each package's prepack guard refuses a stale dist/) and returns
 * name → tarball path.
 * @throws {Error} with npm's output when packing fails or a tarball is missing.
 */
export async function packPackages(pkgs: readonly PublishedPackage[], dest: string): Promise<Map<string, string>> {
  mkdirSync(dest, { recursive: true });
  const workspaces = pkgs.flatMap((p) => ['--workspace', p.dir]);
  const r = await runIn(ROOT, 'npm', ['pack', '--pack-destination', dest, '--loglevel=error', ...workspaces], 300_000);
  const tarballs = new Map(pkgs.map((p) => [p.name, join(dest, tarballName(p))]));
  const missing = [...tarballs.values()].filter((t) => !existsSync(t));
  if (r.status !== 0 || missing.length > 0) {
    throw new Error(
      `npm pack exited with ${r.status}${missing.length > 0 ? `, missing ${missing.join(', ')}` : ''}:\n${r.stdout}${r.stderr}`,
    );
  }
  return tarballs;
}

/**
 * Writes an app's package.json: every tarball by `file:` path and each runtime at an exact version. `overrides`
 * points every dependency on our packages (the CLI's on the libraries, …) at the same tarballs, so nothing of ours
 * can come from the registry. The programs are copied beside it.
 */
export function writeScratchApp(
  dir: string,
  tarballs: ReadonlyMap<string, string>,
  runtimeVersions: Readonly<Record<string, string>>,
): void {
  mkdirSync(dir, { recursive: true });
  const ours = Object.fromEntries([...tarballs].map(([name, file]) => [name, `file:${file}`]));
  const overrides = Object.fromEntries([...tarballs.keys()].map((name) => [name, `$${name}`]));
  const manifest = {
    name: 'vblora-scratch-app',
    private: true,
    type: 'module',
    dependencies: { ...ours, ...runtimeVersions },
    overrides,
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const file of readdirSync(PROGRAMS_DIR)) copyFileSync(join(PROGRAMS_DIR, file), join(dir, file));
}

/**
 * `npm install` in the app. `--prefer-offline`: what npm's cache holds is used without asking the registry again.
 * `--ignore-scripts`: none of these packages needs its install script (onnxruntime-node, Dawn and sharp ship prebuilt
 * binaries; onnxruntime-node's script would only fetch CUDA files).
 */
export function npmInstall(dir: string): Promise<Finished> {
  return runIn(
    dir,
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'],
    600_000,
  );
}

/** One installed copy of a package: its folder relative to the app (forward slashes) and its version. */
export interface InstalledCopy {
  readonly path: string;
  readonly version: string;
}

/** Every installed copy of `name` in the app's node_modules tree, nested ones included, sorted by path. */
export function installedCopies(appDir: string, name: string): InstalledCopy[] {
  const found: InstalledCopy[] = [];
  const visit = (nodeModules: string): void => {
    if (!existsSync(join(appDir, nodeModules))) return;
    for (const entry of readdirSync(join(appDir, nodeModules))) {
      if (entry.startsWith('.')) continue;
      const names = entry.startsWith('@')
        ? readdirSync(join(appDir, nodeModules, entry)).map((n) => `${entry}/${n}`)
        : [entry];
      for (const pkg of names) {
        const dir = `${nodeModules}/${pkg}`;
        const manifest = join(appDir, dir, 'package.json');
        if (pkg === name && existsSync(manifest)) {
          found.push({
            path: dir,
            version: (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version,
          });
        }
        visit(`${dir}/node_modules`);
      }
    }
  };
  visit('node_modules');
  return found.sort((a, b) => a.path.localeCompare(b.path));
}
