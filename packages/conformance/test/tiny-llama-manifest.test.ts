import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listFiles, readManifest, sha256 } from './helpers/manifest.js';
import { TINY_LLAMA_DIR, tinyLlamaPath } from '@vblora/conformance/fixtures';

// The generator's own folder (scripts, not artefacts) is outside the manifest.
const GENERATOR = 'generator';

const manifest = readManifest(TINY_LLAMA_DIR);

interface Summary {
  files: Record<string, { bytes: number; sha256: string }>;
  expected: { min_margin: number; max_new_tokens: number };
}

describe('packaged tiny Llama fixture', () => {
  it('every file matches MANIFEST.sha256 and no artefact is unlisted', () => {
    for (const { hash, path } of manifest) expect(sha256(tinyLlamaPath(path)), path).toBe(hash);
    const onDisk = listFiles(TINY_LLAMA_DIR).filter((p) => p !== 'MANIFEST.sha256' && !p.startsWith(`${GENERATOR}/`));
    expect(onDisk.sort()).toEqual(manifest.map((m) => m.path).sort());
  });

  it('summary.json records the size and SHA-256 of every artefact', () => {
    const summary = JSON.parse(readFileSync(tinyLlamaPath('summary.json'), 'utf8')) as Summary;
    const artefacts = manifest.map((m) => m.path).filter((p) => p !== 'summary.json' && p !== 'README.md');
    expect(Object.keys(summary.files).sort()).toEqual(artefacts.sort());
    for (const [path, { bytes, sha256: hash }] of Object.entries(summary.files)) {
      expect(statSync(tinyLlamaPath(path)).size, path).toBe(bytes);
      expect(sha256(tinyLlamaPath(path)), path).toBe(hash);
    }
    expect(summary.expected.max_new_tokens).toBeGreaterThanOrEqual(16);
    expect(summary.expected.min_margin).toBeGreaterThanOrEqual(1e-3);
  });

  it('stays small', () => {
    const total = manifest.reduce((n, { path }) => n + statSync(tinyLlamaPath(path)).size, 0);
    expect(total).toBeLessThan(3 * 1024 * 1024);
  });
});
