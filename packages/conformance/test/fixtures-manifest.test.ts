import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listFiles, readManifest, sha256 } from './helpers/manifest.js';
import { PEFT_GOLDEN_DIR } from '@vblora/conformance';

const manifest = readManifest(PEFT_GOLDEN_DIR);

describe('packaged PEFT golden fixtures', () => {
  it('every file matches MANIFEST.sha256 and no file is unlisted', () => {
    for (const { hash, path } of manifest) expect(sha256(join(PEFT_GOLDEN_DIR, path)), path).toBe(hash);
    const listed = new Set(manifest.map((m) => m.path));
    const onDisk = listFiles(PEFT_GOLDEN_DIR).filter((p) => p !== 'MANIFEST.sha256');
    expect(onDisk.sort()).toEqual([...listed].sort());
  });

  const shared = resolve(PEFT_GOLDEN_DIR, '../../../../../shared/peft/golden');
  it.runIf(existsSync(shared))('has not drifted from ../shared/peft/golden', () => {
    for (const { hash, path } of manifest) expect(sha256(join(shared, path)), path).toBe(hash);
    expect(listFiles(shared).length).toBe(manifest.length);
  });
});
