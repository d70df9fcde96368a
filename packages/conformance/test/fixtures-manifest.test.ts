import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PEFT_GOLDEN_DIR } from '@vblora/conformance';

const manifest = readFileSync(join(PEFT_GOLDEN_DIR, 'MANIFEST.sha256'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => {
    const [hash, path] = line.split(/ {2}/) as [string, string];
    return { hash, path: path.replace(/^\.\//, '') };
  });

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? listFiles(p) : [relative(PEFT_GOLDEN_DIR, p)];
  });
}

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
