import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  link,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PathError } from '../../src/errors.js';
import { LOCK_FILE, lockOutputFolder } from '../../src/node/output-lock.js';
import { refuseAliasedOutputs, resolveInside } from '../../src/node/safe-paths.js';

const hardLink = promisify(link);
let dir: string;
let outside: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vblora-paths-'));
  outside = mkdtempSync(join(tmpdir(), 'vblora-outside-'));
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  mkdirSync(join(dir, 'model'));
  writeFileSync(join(dir, 'model', 'w.bin'), 'weights');
});

afterEach(() => {
  execFileSync('rm', ['-rf', dir, outside]);
});

async function pathError(p: Promise<unknown>): Promise<PathError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PathError);
  return err as PathError;
}

describe('resolveInside: side files stay in their folder by real path', () => {
  it('accepts a plain file, a not-yet-existing file and a link that stays inside', async () => {
    const model = join(dir, 'model');
    mkdirSync(join(model, 'sub'));
    symlinkSync(join(model, 'w.bin'), join(model, 'sub', 'inner-link.bin'));
    expect(await resolveInside(model, 'w.bin', 'test')).toMatch(/model\/w\.bin$/);
    expect(await resolveInside(model, 'new.bin', 'test')).toMatch(/model\/new\.bin$/);
    expect(await resolveInside(model, 'sub/inner-link.bin', 'test')).toMatch(/model\/w\.bin$/);
  });

  it.each([
    ['an absolute path', () => join(outside, 'secret.txt')],
    ['a climb out with ..', () => '../../secret.txt'],
    ['the folder itself', () => '.'],
    ['an empty name', () => ''],
    ['a NUL byte', () => 'w.bin\0x'],
  ])('refuses %s', async (_what, location) => {
    const err = await pathError(resolveInside(join(dir, 'model'), location(), 'external data of tensor w'));
    expect(err.rule).toBe('outside-folder');
    expect(err.message).toContain('external data of tensor w');
  });

  it('refuses a link to a file outside, a link to a folder outside, and a dangling link', async () => {
    const model = join(dir, 'model');
    symlinkSync(join(outside, 'secret.txt'), join(model, 'file-link.bin'));
    symlinkSync('/', join(model, 'root'));
    symlinkSync(outside, join(model, 'out-dir'));
    symlinkSync(join(outside, 'missing.bin'), join(model, 'dangling.bin'));
    for (const loc of [
      'file-link.bin',
      'root/etc/hostname',
      'out-dir/secret.txt',
      'out-dir/not-yet.bin',
      'dangling.bin',
    ]) {
      expect((await pathError(resolveInside(model, loc, 'test'))).rule, loc).toBe('outside-folder');
    }
  });

  it('compares real paths when the folder itself is reached through a link', async () => {
    symlinkSync(join(dir, 'model'), join(dir, 'model-link'));
    expect(await resolveInside(join(dir, 'model-link'), 'w.bin', 'test')).toMatch(/model\/w\.bin$/);
  });
});

describe('resolveInside: a Hugging Face cache snapshot', () => {
  it("follows the snapshot's links into its repository's blobs, and no further", async () => {
    const repo = join(dir, 'hub', 'models--org--tiny');
    const snap = join(repo, 'snapshots', 'abc123');
    mkdirSync(join(repo, 'blobs'), { recursive: true });
    mkdirSync(snap, { recursive: true });
    writeFileSync(join(repo, 'blobs', 'f00d'), 'shard');
    symlinkSync('../../blobs/f00d', join(snap, 'model.safetensors'));
    symlinkSync(join(outside, 'secret.txt'), join(snap, 'other.safetensors'));
    symlinkSync('../../refs', join(snap, 'refs-link'));
    mkdirSync(join(repo, 'refs'));
    writeFileSync(join(repo, 'refs', 'main'), 'abc123');
    expect(await resolveInside(snap, 'model.safetensors', 'test')).toMatch(/blobs\/f00d$/);
    expect((await pathError(resolveInside(snap, 'other.safetensors', 'test'))).rule).toBe('outside-folder');
    expect((await pathError(resolveInside(snap, 'refs-link/main', 'test'))).rule).toBe('outside-folder');
  });

  it('grants nothing to a folder that only looks like a snapshot when its blobs folder is a link', async () => {
    const repo = join(dir, 'hub', 'models--org--evil');
    const snap = join(repo, 'snapshots', 'r');
    mkdirSync(snap, { recursive: true });
    symlinkSync(outside, join(repo, 'blobs'));
    symlinkSync('../../blobs/secret.txt', join(snap, 'model.safetensors'));
    expect((await pathError(resolveInside(snap, 'model.safetensors', 'test'))).rule).toBe('outside-folder');
  });
});

describe('refuseAliasedOutputs: an output is never one of the inputs', () => {
  it('passes distinct files', async () => {
    await expect(refuseAliasedOutputs([join(dir, 'out.bin')], [join(dir, 'model', 'w.bin')])).resolves.toBeUndefined();
  });

  it('refuses the same path, a spelling through .., a symbolic link and a hard link', async () => {
    const input = join(dir, 'model', 'w.bin');
    symlinkSync(input, join(dir, 'sym.bin'));
    await hardLink(input, join(dir, 'hard.bin'));
    for (const out of [
      input,
      join(dir, 'model', '..', 'model', 'w.bin'),
      join(dir, 'sym.bin'),
      join(dir, 'hard.bin'),
    ]) {
      const err = await pathError(refuseAliasedOutputs([out], [input]));
      expect(err.rule, out).toBe('output-aliases-input');
    }
    expect(readFileSync(input, 'utf8')).toBe('weights');
  });
});

describe('lockOutputFolder: one writer per output folder', () => {
  it('a second lock fails while the first is held; release removes only our lock file', async () => {
    const folder = join(dir, 'model');
    const first = await lockOutputFolder(folder);
    const err = await pathError(lockOutputFolder(folder));
    expect(err.rule).toBe('locked');
    expect(err.message).toContain(`process ${process.pid}`);
    await first.release();
    expect(existsSync(join(folder, LOCK_FILE))).toBe(false);
    expect(readdirSync(folder).sort()).toEqual(['w.bin']); // no staging files left
    const again = await lockOutputFolder(folder);
    await again.release();
  });

  it('takes over the lock of a process that no longer exists', async () => {
    const folder = join(dir, 'model');
    // a real pid that has exited: a finished child
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(
      join(folder, LOCK_FILE),
      JSON.stringify({ pid: dead, host: (await import('node:os')).hostname(), token: 'x' }),
    );
    const lock = await lockOutputFolder(folder);
    expect(JSON.parse(readFileSync(join(folder, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('a FIFO planted as the lock file is a held lock, refused at once, not a hang', async () => {
    const folder = join(dir, 'model');
    execFileSync('mkfifo', [join(folder, LOCK_FILE)]);
    const t0 = performance.now();
    expect((await pathError(lockOutputFolder(folder))).rule).toBe('locked');
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('keeps a lock it cannot read as held (never deletes what it did not create)', async () => {
    const folder = join(dir, 'model');
    writeFileSync(join(folder, LOCK_FILE), 'not ours');
    expect((await pathError(lockOutputFolder(folder))).rule).toBe('locked');
    expect(readFileSync(join(folder, LOCK_FILE), 'utf8')).toBe('not ours');
  });
});
