import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LORA_DIR } from './lora-fixtures.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return p === join(LORA_DIR, 'generator') ? [] : files(p);
    return [relative(LORA_DIR, p).split('\\').join('/')];
  });
}

describe('PEFT LoRA conversion fixtures', () => {
  it('every file matches MANIFEST.sha256 and no artefact is unlisted (the generator folder is not an artefact)', () => {
    const manifest = readFileSync(join(LORA_DIR, 'MANIFEST.sha256'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => {
        const [hash, path] = line.split('  ') as [string, string];
        return { hash, path: path.replace(/^\.\//, '') };
      });
    for (const { hash, path } of manifest) {
      expect(
        createHash('sha256')
          .update(readFileSync(join(LORA_DIR, path)))
          .digest('hex'),
        path,
      ).toBe(hash);
    }
    const onDisk = files(LORA_DIR).filter((p) => p !== 'MANIFEST.sha256');
    expect(onDisk.sort()).toEqual(manifest.map((m) => m.path).sort());
  });
});
