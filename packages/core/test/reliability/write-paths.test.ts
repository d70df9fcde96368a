import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Every file our packages write (convert, merge, train checkpoints, ONNX models) goes through an atomic write:
// `writeFileAtomic`, or a streaming writer that writes a `tempPathFor` file, syncs it and renames it into place.
// This audit reads every package's sources and fails on any other way of writing a file, naming file and line,
// so a new writer cannot bypass the rule unnoticed. (The kill, disk-full and read-only tests check the writers.)
const PACKAGES = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
const ATOMIC = 'core/src/node/atomic-write.ts';

const RAW_WRITE =
  /(?<![.\w])(?:writeFile|writeFileSync|appendFile|appendFileSync|createWriteStream|copyFile|copyFileSync)\s*\(/;
const OPEN_FOR_WRITE = /\bopen(?:Sync)?\s*\([^)]*['"](?:w|wx|w\+|a|ax|a\+|r\+)['"]/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

describe('write-path audit', () => {
  it('no package source writes a file except atomically', () => {
    const files = readdirSync(PACKAGES).flatMap((pkg) => {
      try {
        return sources(join(PACKAGES, pkg, 'src'));
      } catch {
        return [];
      }
    });
    expect(files.length).toBeGreaterThan(50);
    const offenders: string[] = [];
    let streamingWriters = 0;
    for (const file of files) {
      const rel = relative(PACKAGES, file);
      if (rel === ATOMIC) continue;
      const text = readFileSync(file, 'utf8');
      text.split('\n').forEach((line, i) => {
        if (RAW_WRITE.test(line) && !/^\s*(?:\/\/|\*)/.test(line)) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
      });
      if (OPEN_FOR_WRITE.test(text)) {
        streamingWriters += 1;
        for (const needed of ['tempPathFor(', 'rename(', '.sync()']) {
          if (!text.includes(needed)) offenders.push(`${rel}: opens a file for writing without ${needed}`);
        }
      }
    }
    expect(offenders).toEqual([]);
    expect(streamingWriters).toBeGreaterThan(0); // the audit does see the streaming writers (merge, ONNX)
  });
});
