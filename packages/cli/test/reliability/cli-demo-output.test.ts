import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '@vblora/core/node';
import { vblora } from '../helpers.js';
import { DEMO_FILES, DEMO_MARKER, prepareDemoFolder } from '../../src/commands/demo/output-folder.js';
import { oneTypedLine, sha256, snapshotTree } from './helpers/hostile-adapters.js';

// #14 defect 1: `vblora demo --out ""` (an unset variable) or `--out .` removed the current folder recursively.
// Rule: the demo never deletes what it did not create. It writes into a new folder (marked with .vblora-demo), an
// empty one (which it marks), or an earlier demo's (marked), and there it removes only the files it writes, by
// name; anything else is refused with a PathError, before anything is touched.
const tmp = mkdtempSync(join(tmpdir(), 'vblora-demo-out-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A folder holding a user's files: a sentinel at the top and one in a sub-folder. */
function userFolder(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'sentinel.txt'), 'do not delete');
  writeFileSync(join(dir, 'src', 'work.ts'), 'export {};');
  return dir;
}

async function inFolder<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    return await fn();
  } finally {
    process.chdir(cwd);
  }
}

describe('defect 1: demo --out never deletes what it did not create', () => {
  it('--out "" (an unset variable) is a usage error: exit 2, the current folder untouched', async () => {
    const dir = userFolder('empty-arg');
    const before = snapshotTree(dir);
    const r = await inFolder(dir, () => vblora('demo', '--steps', '1', '--out', ''));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^vblora: demo: --out is empty \(an unset variable\?\)/);
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('--out . in a non-empty folder: exit 1, PathError not-empty naming it, nothing deleted or added', async () => {
    const dir = userFolder('dot');
    const before = snapshotTree(dir);
    const r = await inFolder(dir, () => vblora('demo', '--steps', '1', '--out', '.'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(oneTypedLine('PathError'));
    expect(r.stderr).toContain(`--out ${dir} is not empty and was not made by vblora demo (no ${DEMO_MARKER} in it)`);
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('a non-empty folder without the marker, or a file: refused, byte for byte intact', async () => {
    const dir = userFolder('not-ours');
    const before = snapshotTree(dir);
    const r1 = await vblora('demo', '--steps', '1', '--out', dir);
    expect(r1.status).toBe(1);
    expect(r1.stderr).toMatch(oneTypedLine('PathError'));
    const r2 = await vblora('demo', '--steps', '1', '--out', join(dir, 'sentinel.txt'));
    expect(r2.status).toBe(1);
    expect(r2.stderr).toContain('is not a folder');
    expect(snapshotTree(dir)).toEqual(before);
    await expect(prepareDemoFolder(dir)).rejects.toMatchObject({ name: 'PathError', rule: 'not-empty', path: dir });
  });

  it('an earlier demo folder: the run replaces its files and keeps a sentinel the user put there', async () => {
    const out = join(tmp, 'demo-again');
    expect((await vblora('demo', '--steps', '1', '--out', out)).status).toBe(0);
    expect(existsSync(join(out, DEMO_MARKER))).toBe(true);
    writeFileSync(join(out, 'sentinel.txt'), 'mine');
    writeFileSync(join(out, 'adapter_full', 'notes.txt'), 'mine too');
    const r = await vblora('demo', '--steps', '1', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(out, 'sentinel.txt'), 'utf8')).toBe('mine');
    expect(readFileSync(join(out, 'adapter_full', 'notes.txt'), 'utf8')).toBe('mine too');
    for (const f of DEMO_FILES) expect(existsSync(join(out, f)), f).toBe(true);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  }, 120_000);

  it('an empty folder is adopted and marked; a new one is created and marked', async () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    for (const dir of [empty, join(tmp, 'new', 'deep')]) {
      const lock = await prepareDemoFolder(dir);
      await lock.release();
      expect(readdirSync(dir)).toEqual([DEMO_MARKER]);
    }
  });

  it('a marked folder: only the demo’s own files go, by name, never through a link out', async () => {
    const out = join(tmp, 'marked');
    mkdirSync(join(out, 'adapter_topk'), { recursive: true });
    writeFileSync(join(out, DEMO_MARKER), '');
    for (const f of [
      'report.html',
      'base.safetensors',
      'keep.txt',
      'adapter_topk/adapter_config.json',
      'adapter_topk/keep.txt',
    ]) {
      writeFileSync(join(out, f), 'x');
    }
    const outside = userFolder('outside');
    writeFileSync(join(outside, 'adapter_config.json'), 'outside');
    symlinkSync(join(tmp, 'marked', 'keep.txt'), join(out, 'toy-llama.onnx')); // a link inside: the link goes, not its target
    const lock = await prepareDemoFolder(out);
    await lock.release();
    expect(snapshotTree(out)).toEqual(
      new Map([
        [DEMO_MARKER, sha256('')],
        ['adapter_topk/keep.txt', sha256('x')],
        ['keep.txt', sha256('x')],
      ]),
    );

    symlinkSync(outside, join(out, 'adapter_full'));
    const before = snapshotTree(outside);
    await expect(prepareDemoFolder(out)).rejects.toMatchObject({ name: 'PathError', rule: 'outside-folder' });
    expect(snapshotTree(outside)).toEqual(before);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });

  it('two demos into one folder: the second is refused (PathError locked) while the first holds it', async () => {
    const out = join(tmp, 'busy');
    const lock = await prepareDemoFolder(out);
    try {
      await expect(prepareDemoFolder(out)).rejects.toMatchObject({ name: 'PathError', rule: 'locked' });
    } finally {
      await lock.release();
    }
  });
});
