/**
 * The universal entry stays free of Node built-ins: bundled for the browser as a user's build would (vite, no alias,
 * Node-only parts of the dependencies left to tree-shaking), nothing is stubbed as "externalized for browser
 * compatibility" — a stub would throw at the first use in a page. The override read is in the bundle, so the check
 * covers it.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundlePage } from './helpers/bundle.js';

describe('@vblora/transformers (universal entry) in a browser bundle', () => {
  it('imports no Node built-in, directly or through its dependencies', async () => {
    const code = await bundlePage(fileURLToPath(new URL('../src/index.ts', import.meta.url)));
    expect(code).toContain('which a model given as bytes cannot reach'); // the override read was bundled
    expect(code).not.toMatch(/externalized for browser compatibility|__vite-browser-external/);
  }, 120_000);
});
