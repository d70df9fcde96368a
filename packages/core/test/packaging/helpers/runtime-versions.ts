/**
 * The runtimes a project installs beside our packages, and the two ends of their supported ranges: every peer
 * dependency of a publishable package, and every dependency of the CLI that is not ours (it takes runtimes as
 * ordinary dependencies with the libraries' ranges). The lowest version is the floor of the range, the highest the
 * one the repository's lockfile holds (so npm's cache has it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, type PublishedPackage } from './workspace.js';

/** Peers that are not runtimes, with the reason. */
const NOT_RUNTIMES: Readonly<Record<string, string>> = {
  vitest:
    '@vblora/conformance/vitest registers the kit with the test runner: a tool, not something the packages run on',
};

/** One package's declaration of a runtime. */
export interface RuntimeDeclaration {
  readonly by: string;
  readonly name: string;
  readonly range: string;
}

/** One runtime and the versions the scratch apps install. */
export interface Runtime {
  readonly name: string;
  /** The range (`^x.y.z`) of the first declaration; every other one must be the same. */
  readonly range: string;
  readonly lowest: string;
  readonly highest: string;
}

const CARET = /^\^(\d+)\.(\d+)\.(\d+)$/;
const VERSION = /^(\d+)\.(\d+)\.(\d+)$/;

type Triple = [number, number, number];

function parts(v: string, re: RegExp): Triple | undefined {
  const m = re.exec(v);
  return m === null ? undefined : [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** Whether `v` satisfies `^low` (for 0.y.z the minor is fixed too, as npm reads it). */
function inRange(v: Triple | undefined, low: Triple): boolean {
  if (v === undefined || v[0] !== low[0]) return false;
  if (low[0] === 0) return v[1] === low[1] && v[2] >= low[2];
  return v[1] > low[1] || (v[1] === low[1] && v[2] >= low[2]);
}

/** Every runtime range the packages declare: peer dependencies, and the CLI's dependencies that are not ours. */
export function runtimeDeclarations(pkgs: readonly PublishedPackage[]): RuntimeDeclaration[] {
  return pkgs.flatMap((pkg) => {
    const json = JSON.parse(readFileSync(join(pkg.dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    const deps = pkg.json.name === '@vblora/cli' ? Object.entries(json.dependencies ?? {}) : [];
    return [...Object.entries(json.peerDependencies ?? {}), ...deps]
      .filter(([name]) => !name.startsWith('@vblora/') && NOT_RUNTIMES[name] === undefined)
      .map(([name, range]) => ({ by: pkg.name, name, range }));
  });
}

/**
 * Each runtime once, with its lowest and highest supported versions, sorted by name.
 * @throws {Error} when a range is not `^x.y.z` or the lockfile's version is not inside it.
 */
export function runtimes(pkgs: readonly PublishedPackage[]): Runtime[] {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string }>;
  };
  const first = new Map<string, RuntimeDeclaration>();
  for (const d of runtimeDeclarations(pkgs)) if (!first.has(d.name)) first.set(d.name, d);
  return [...first.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(({ by, name, range }) => {
      const low = parts(range, CARET);
      if (low === undefined)
        throw new Error(`${by} accepts ${name}@${range}: the packaging test handles ^x.y.z ranges only`);
      const highest = lock.packages[`node_modules/${name}`]?.version ?? '';
      if (!inRange(parts(highest, VERSION), low))
        throw new Error(`package-lock.json has ${name}@${highest || 'nothing'} at the root, outside ${range}`);
      return { name, range, lowest: low.join('.'), highest };
    });
}
