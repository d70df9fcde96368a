import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { adapterFromFiles, WriteError } from '@vblora/core';
import { readAdapterDir, writeAdapterDir, writeFileAtomic } from '@vblora/core/node';
import { transpileCore } from './helpers/child-core.js';
import { GOLDEN_ADAPTERS } from './helpers/golden-adapters.js';
import { canMount, isRoot, mountReadOnly, mountTmpfs, NO_MOUNT_REASON } from './helpers/small-fs.js';
import { reachableTempDir, runAsNobody } from './helpers/unprivileged-child.js';

// Disk full and read-only destinations give a WriteError that says so, and change nothing: the old file is intact
// and no temporary file remains. ENOSPC and EROFS come from real file systems (a 256 KiB tmpfs, a read-only bind
// mount); permission denied from a 0555 folder, written by an unprivileged child process when we are root.
const tmp = mkdtempSync(join(tmpdir(), 'vblora-writefail-'));
const unmounts: (() => void)[] = [];
const cleanups: string[] = [tmp];
afterAll(() => {
  for (const u of unmounts.reverse()) u();
  for (const dir of cleanups) rmSync(dir, { recursive: true, force: true });
});

const OLD = new Uint8Array(64 * 1024).fill(1);
const topk = GOLDEN_ADAPTERS.find((g) => g.id === 'llama_f32_vl16_nv64_top2/adapter_topk')!;
const full = GOLDEN_ADAPTERS.find((g) => g.id === 'llama_f32_vl16_nv64_top2/adapter_full')!;

function needMount(ctx: TestContext): void {
  if (!canMount && process.env['CI'] !== 'true') ctx.skip(NO_MOUNT_REASON);
}

async function writeError(p: Promise<unknown>): Promise<WriteError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WriteError);
  return err as WriteError;
}

/** The folder holds exactly these files with these bytes (nothing partial, no temp file). */
function expectUnchanged(dir: string, files: Record<string, Uint8Array | string>): void {
  expect(readdirSync(dir).sort()).toEqual(Object.keys(files).sort());
  for (const [name, bytes] of Object.entries(files)) {
    expect(Buffer.from(readFileSync(join(dir, name))).equals(Buffer.from(bytes)), name).toBe(true);
  }
}

describe('disk full (ENOSPC, 256 KiB tmpfs)', () => {
  it('writeFileAtomic: WriteError "the disk is full", old file intact, no temp file', async (ctx) => {
    needMount(ctx);
    const dir = join(tmp, 'full-1');
    unmounts.push(mountTmpfs(dir, 256));
    writeFileSync(join(dir, 'out.safetensors'), OLD);
    const err = await writeError(writeFileAtomic(join(dir, 'out.safetensors'), new Uint8Array(1024 * 1024)));
    expect(err.message).toContain('the disk is full');
    expect(err.path).toBe(join(dir, 'out.safetensors'));
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expectUnchanged(dir, { 'out.safetensors': OLD });
  });

  it('writeAdapterDir over an old adapter: WriteError, the old adapter still loads, byte for byte', async (ctx) => {
    needMount(ctx);
    const dir = join(tmp, 'full-2');
    unmounts.push(mountTmpfs(dir, 64)); // room for the 13 KB top-k adapter, not for the 122 KB full one
    await writeAdapterDir(dir, adapterFromFiles(topk).adapter);
    const err = await writeError(writeAdapterDir(dir, adapterFromFiles(full).adapter));
    expect(err.message).toContain('the disk is full');
    expectUnchanged(dir, { 'adapter_config.json': topk.config, 'adapter_model.safetensors': topk.weights });
    expect((await readAdapterDir(dir)).adapter.modules.size).toBeGreaterThan(0);
  });
});

describe('read-only destination (EROFS, read-only bind mount)', () => {
  it('writeFileAtomic and writeAdapterDir: WriteError "read-only file system", nothing changed', async (ctx) => {
    needMount(ctx);
    const src = join(tmp, 'ro-src');
    mkdirSync(src);
    writeFileSync(join(src, 'out.safetensors'), OLD);
    const dir = join(tmp, 'ro');
    unmounts.push(mountReadOnly(src, dir));
    const e1 = await writeError(writeFileAtomic(join(dir, 'out.safetensors'), new Uint8Array(16)));
    expect(e1.message).toContain('read-only file system');
    const e2 = await writeError(writeAdapterDir(join(dir, 'sub'), adapterFromFiles(topk).adapter));
    expect(e2.message, String((e2.cause as Error)?.stack)).toContain('read-only file system');
    expectUnchanged(dir, { 'out.safetensors': OLD });
  });
});

describe('permission denied (EACCES, a 0555 folder)', () => {
  // As root, the child (uid nobody) must reach its script, the code it runs and its target wherever the clone
  // is, even under a 0700 folder such as /root: all of them live in a fresh folder every user can traverse.
  let childDir: string;
  let atomicJs: string;
  beforeAll(() => {
    childDir = isRoot ? reachableTempDir('vblora-denied-') : tmp;
    if (childDir !== tmp) cleanups.push(childDir);
    if (isRoot) [atomicJs] = transpileCore(join(childDir, 'core'), ['node/atomic-write.ts']) as [string];
  });

  it('WriteError "permission denied", old file intact, no temp file', async () => {
    const dir = join(childDir, 'denied');
    mkdirSync(dir);
    writeFileSync(join(dir, 'out.safetensors'), OLD);
    chmodSync(dir, 0o555);
    try {
      let outcome: { name?: string; message?: string; code?: string };
      if (isRoot) {
        // root ignores file modes: the write is made by an unprivileged child (uid/gid nobody) instead
        const script = join(import.meta.dirname, 'helpers', 'denied-child.mjs');
        const r = runAsNobody(childDir, script, [atomicJs, join(dir, 'out.safetensors')]);
        expect(r.status, r.stderr).toBe(0);
        outcome = JSON.parse(r.stdout) as typeof outcome;
      } else {
        const err = await writeError(writeFileAtomic(join(dir, 'out.safetensors'), new Uint8Array(16)));
        outcome = { name: err.name, message: err.message, code: (err.cause as NodeJS.ErrnoException).code! };
      }
      expect(outcome).toMatchObject({ name: 'WriteError', code: 'EACCES' });
      expect(outcome.message).toContain('permission denied');
    } finally {
      chmodSync(dir, 0o755);
    }
    expectUnchanged(dir, { 'out.safetensors': OLD });
  });

  it('a missing destination folder: WriteError saying so', async () => {
    const err = await writeError(writeFileAtomic(join(tmp, 'no', 'such', 'dir', 'x.bin'), new Uint8Array(1)));
    expect(err.message).toContain('the destination folder does not exist');
  });
});
