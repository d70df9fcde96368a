import { readFileSync } from 'node:fs';

/**
 * The version of `@vblora/cli`, read from its package.json (next to `src/` and `dist/` alike) when asked, so the
 * command and its package can never disagree.
 */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return String(pkg.version);
}
