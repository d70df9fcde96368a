/**
 * Browser stand-ins for the few Node built-ins the conformance kit imports (it reads PEFT's golden fixtures with
 * node:fs): readFileSync answers from files fetched beforehand, paths are plain strings.
 */
const files = new Map<string, Uint8Array>();

/** The part of a path after `peft-golden/`, the key files are stored under. */
function keyOf(path: string): string {
  const at = path.indexOf('peft-golden/');
  return at >= 0 ? path.slice(at + 'peft-golden/'.length) : path;
}

/** Fetches every listed fixture file (names relative to peft-golden/) so readFileSync can answer synchronously. */
export async function preloadFiles(names: readonly string[], url: (name: string) => string): Promise<void> {
  await Promise.all(
    names.map(async (name) => {
      const res = await fetch(url(name));
      files.set(name, new Uint8Array(await res.arrayBuffer()));
    }),
  );
}

/** node:fs readFileSync over the preloaded files. */
export function readFileSync(path: string, encoding?: string): Uint8Array | string {
  const data = files.get(keyOf(path));
  if (data === undefined) throw new Error(`ENOENT: ${path} was not preloaded`);
  return encoding === undefined ? data : new TextDecoder().decode(data);
}

/** node:url fileURLToPath: the URL's path. */
export function fileURLToPath(url: string | URL): string {
  return new URL(url).pathname;
}

/** node:path join with forward slashes. */
export function join(...parts: string[]): string {
  return parts.join('/').replace(/\/+/g, '/');
}
