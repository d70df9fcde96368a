/**
 * Golden fixtures from files the caller already holds (bytes by path), or fetched from a base URL: the loaders a
 * page uses, since it has no file system. Fetched files are checked against the fixtures' `MANIFEST.sha256`.
 * @module
 */
import { FixtureError } from '../errors.js';
import { goldenFixtureFromFiles, type GoldenFixtures } from './golden-fixture.js';
import { GOLDEN_CASE_FILES, PEFT_GOLDEN_CASES, type GoldenCaseFile, type PeftGoldenCase } from './names.js';

/** Fixture files by path relative to `peft-golden/`, e.g. `llama_f32_vl16_nv64_top2/base.safetensors`. */
export type GoldenFiles = ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>;

/** What {@link fetchGoldenFixtures} needs of `fetch`. */
export type FetchLike = (url: string) => Promise<Pick<Response, 'ok' | 'status' | 'arrayBuffer'>>;

/** Options of {@link fetchGoldenFixtures}. */
export interface FetchGoldenOptions {
  /** The cases to load (default: all five). */
  readonly names?: readonly PeftGoldenCase[];
  /** The fetch function (default: the global `fetch`). */
  readonly fetch?: FetchLike;
  /**
   * Check every file against `MANIFEST.sha256` (default true), so that a server answering a wrong file (an HTML
   * page for a missing path, a stale copy) fails with the file's name. Needs `crypto.subtle` (a secure context:
   * https or localhost).
   */
  readonly verify?: boolean;
}

/** Every path, relative to `peft-golden/`, that the given cases read. */
export function goldenFilePaths(names: readonly PeftGoldenCase[] = PEFT_GOLDEN_CASES): string[] {
  return names.flatMap((name) => GOLDEN_CASE_FILES.map((file) => `${name}/${file}`));
}

function lookup(files: GoldenFiles): (path: string) => Uint8Array | undefined {
  return files instanceof Map ? (p) => files.get(p) : (p) => (files as Readonly<Record<string, Uint8Array>>)[p];
}

/**
 * Golden fixtures from files held in memory: keys are paths relative to `peft-golden/` (see {@link goldenFilePaths}).
 * @example
 * ```ts
 * const fixtures = goldenFixturesFromFiles(files, ['llama_f32_vl16_nv64_top2']);
 * const report = await checkConformance(myBackend, { fixtures });
 * ```
 * @throws {FixtureError} `missing` when a file of a requested case is absent.
 */
export function goldenFixturesFromFiles(
  files: GoldenFiles,
  names: readonly PeftGoldenCase[] = PEFT_GOLDEN_CASES,
): GoldenFixtures {
  const get = lookup(files);
  return new Map(
    names.map((name) => {
      const read = (file: GoldenCaseFile): Uint8Array => {
        const bytes = get(`${name}/${file}`);
        if (bytes === undefined)
          throw new FixtureError(`golden fixture file ${name}/${file} was not given`, 'missing', `${name}/${file}`);
        return bytes;
      };
      return [name, goldenFixtureFromFiles(name, read)] as const;
    }),
  );
}

/** `base` as an absolute folder URL (relative ones against the page), ending in `/`. */
function folderUrl(base: string | URL): URL {
  const url = new URL(String(base), globalThis.location?.href);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

async function get(fetchFn: FetchLike, base: URL, path: string): Promise<Uint8Array> {
  const url = new URL(path, base).href;
  let res;
  try {
    res = await fetchFn(url);
  } catch (err) {
    throw new FixtureError(`cannot fetch golden fixture file ${url}: ${String(err)}`, 'fetch', path, { cause: err });
  }
  if (!res.ok) throw new FixtureError(`golden fixture file ${url} answered HTTP ${res.status}`, 'fetch', path);
  return new Uint8Array(await res.arrayBuffer());
}

/** `sha256sum`-style lines: hash, two spaces, `./`-prefixed path. */
function parseManifest(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const m = /^([0-9a-f]{64}) {2}(?:\.\/)?(.+)$/.exec(line);
    if (m === null)
      throw new FixtureError(
        `MANIFEST.sha256 has a malformed line: ${JSON.stringify(line)}`,
        'manifest',
        'MANIFEST.sha256',
      );
    out.set(m[2]!, m[1]!);
  }
  return out;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) {
    throw new FixtureError(
      'crypto.subtle is unavailable (not a secure context: serve the page over https or from localhost), so the fixtures ' +
        'cannot be checked against MANIFEST.sha256; pass verify: false to load them unchecked',
      'sha256',
      'MANIFEST.sha256',
    );
  }
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Fetches the golden fixtures from `baseUrl`, the URL of a copy of the package's `fixtures/peft-golden/` folder
 * (relative URLs resolve against the page), and builds them.
 * @example
 * ```ts
 * import { checkConformance, fetchGoldenFixtures } from '@vblora/conformance/web';
 * const fixtures = await fetchGoldenFixtures('/fixtures/peft-golden/');
 * const report = await checkConformance(myBackend, { fixtures });
 * ```
 * @throws {FixtureError} when a file cannot be fetched (`fetch`) or does not match the manifest (`sha256`).
 */
export async function fetchGoldenFixtures(
  baseUrl: string | URL,
  options: FetchGoldenOptions = {},
): Promise<GoldenFixtures> {
  const names = options.names ?? PEFT_GOLDEN_CASES;
  const fetchFn: FetchLike = options.fetch ?? ((url) => fetch(url));
  const base = folderUrl(baseUrl);
  const paths = goldenFilePaths(names);
  const [manifest, ...bytes] = await Promise.all([
    options.verify === false ? null : get(fetchFn, base, 'MANIFEST.sha256'),
    ...paths.map((p) => get(fetchFn, base, p)),
  ]);
  const files = new Map(paths.map((p, i) => [p, bytes[i]!] as const));
  if (manifest !== null) {
    const hashes = parseManifest(new TextDecoder().decode(manifest));
    await Promise.all(
      paths.map(async (p) => {
        const want = hashes.get(p);
        if (want === undefined) throw new FixtureError(`MANIFEST.sha256 does not list ${p}`, 'manifest', p);
        const got = await sha256Hex(files.get(p)!);
        if (got !== want)
          throw new FixtureError(
            `golden fixture file ${new URL(p, base).href} has SHA-256 ${got}, MANIFEST.sha256 says ${want}`,
            'sha256',
            p,
          );
      }),
    );
  }
  return goldenFixturesFromFiles(files, names);
}
