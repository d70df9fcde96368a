import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adapterFromFiles, type VBLoRAAdapter } from '@vblora/core';
import { readAdapterDir, writeAdapterDir } from '@vblora/core/node';
import { GOLDEN_ADAPTERS } from './helpers/golden-adapters.js';

// #14 defect 11 (the adapter-directory part): an adapter name is a plain folder name, on read and on write, and a
// sub-folder that is a link out of the directory is refused; the weights file's header is read and checked
// against the file size and the memory budget before its body, so a 2 GiB sparse file with a bad header costs
// 8 + N bytes. "Fast" and "small growth" as in resource-bounds.test.ts.
const FAST_MS = 250;
const SMALL_GROWTH = 16 * 2 ** 20;
const tmp = mkdtempSync(join(tmpdir(), 'vblora-adapterdir-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const golden = GOLDEN_ADAPTERS.find((g) => g.id === 'llama_f32_vl16_nv64_top2/adapter_topk')!;
const adapter = adapterFromFiles(golden).adapter;
const named = (name: string): VBLoRAAdapter => ({ ...adapter, name });

async function rejection(fn: () => Promise<unknown>): Promise<{ err: unknown; ms: number; growth: number }> {
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  const err = await fn().then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  return { err, ms: performance.now() - t0, growth: process.memoryUsage().arrayBuffers - before };
}

function adapterDir(path: string): string {
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'adapter_config.json'), golden.config);
  writeFileSync(join(path, 'adapter_model.safetensors'), golden.weights);
  return path;
}

describe('defect 11: an adapter name never leads out of its directory', () => {
  const bad = ['../x', '..', '.', '', 'a/b', 'a\\b', 'a\u0000b', '/abs'];

  it('readAdapterDir refuses a name that is not a plain folder name (AdapterError), reading nothing outside', async () => {
    const root = join(tmp, 'read-names');
    const dir = adapterDir(join(root, 'dir'));
    adapterDir(join(root, 'x')); // what `../x` would reach
    for (const name of bad) {
      await expect(readAdapterDir(dir, name), JSON.stringify(name)).rejects.toMatchObject({ name: 'AdapterError' });
    }
    expect((await readAdapterDir(join(root), 'x')).adapter.modules.size).toBe(adapter.modules.size);
  });

  it('writeAdapterDir refuses such a name (AdapterError) and writes nothing anywhere', async () => {
    const root = join(tmp, 'write-names');
    const out = join(root, 'out');
    mkdirSync(out, { recursive: true });
    for (const name of bad) {
      await expect(writeAdapterDir(out, named(name)), JSON.stringify(name)).rejects.toMatchObject({
        name: 'AdapterError',
      });
    }
    expect(readdirSync(root)).toEqual(['out']);
    expect(readdirSync(out)).toEqual([]);
  });

  it('a sub-folder that is a link out of the directory: PathError outside-folder on read and on write', async () => {
    const root = join(tmp, 'links');
    const outside = adapterDir(join(root, 'outside'));
    const before = readFileSync(join(outside, 'adapter_model.safetensors'));
    const dir = join(root, 'dir');
    mkdirSync(dir);
    symlinkSync(outside, join(dir, 'evil'));
    await expect(readAdapterDir(dir, 'evil')).rejects.toMatchObject({ name: 'PathError', rule: 'outside-folder' });
    await expect(writeAdapterDir(dir, named('evil'))).rejects.toMatchObject({
      name: 'PathError',
      rule: 'outside-folder',
    });
    expect(readFileSync(join(outside, 'adapter_model.safetensors')).equals(before)).toBe(true);
    expect(readdirSync(outside).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
  });

  it('a named adapter in a real sub-folder, or a link that stays inside, reads and writes as before', async () => {
    const dir = join(tmp, 'good-names');
    await writeAdapterDir(dir, named('mine'));
    expect(readdirSync(join(dir, 'mine')).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    symlinkSync(join(dir, 'mine'), join(dir, 'alias'));
    expect((await readAdapterDir(dir, 'alias')).adapter.modules.size).toBe(adapter.modules.size);
    await writeAdapterDir(join(tmp, 'fresh', 'deep'), named('other'));
    expect((await readAdapterDir(join(tmp, 'fresh', 'deep'), 'other')).adapter.name).toBe('other');
  });
});

describe('defect 11: a 2 GiB sparse weights file is judged by its header before its body is read', () => {
  const SIZE = 2 ** 31 - 1; // just under the whole-file cap: the old reader read all of it first

  function sparseDir(name: string, head: Uint8Array): string {
    const dir = join(tmp, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'adapter_config.json'), golden.config);
    writeFileSync(join(dir, 'adapter_model.safetensors'), head);
    truncateSync(join(dir, 'adapter_model.safetensors'), SIZE); // sparse: no disk space
    return dir;
  }

  function header(json: string): Uint8Array {
    const text = new TextEncoder().encode(json);
    const out = new Uint8Array(8 + text.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
    out.set(text, 8);
    return out;
  }

  it('all zeros (header length 0): CheckpointFormatError at once, no 2 GiB read', async () => {
    const dir = sparseDir('sparse-zeros', new Uint8Array(0));
    const { err, ms, growth } = await rejection(() => readAdapterDir(dir));
    expect(err).toMatchObject({ name: 'CheckpointFormatError' });
    expect(ms).toBeLessThan(FAST_MS);
    expect(growth).toBeLessThan(SMALL_GROWTH);
  });

  it('a header whose tensors cover 1 KiB of the 2 GiB: CheckpointFormatError trailing-bytes at once', async () => {
    const dir = sparseDir('sparse-short', header('{"w":{"dtype":"U8","shape":[1024],"data_offsets":[0,1024]}}'));
    const { err, ms, growth } = await rejection(() => readAdapterDir(dir));
    expect(err).toMatchObject({ name: 'CheckpointFormatError', rule: 'trailing-bytes' });
    expect(ms).toBeLessThan(FAST_MS);
    expect(growth).toBeLessThan(SMALL_GROWTH);
  });

  it('a valid header over the memory budget: ResourceLimitError maxMemory at once', async () => {
    const json = (n: number) => `{"w":{"dtype":"U8","shape":[${n}],"data_offsets":[0,${n}]}}`;
    let n = SIZE - 8 - json(0).length;
    n = SIZE - 8 - json(n).length;
    const dir = sparseDir('sparse-budget', header(json(n)));
    const { err, ms, growth } = await rejection(() => readAdapterDir(dir, 'default', { maxMemoryBytes: 2 ** 30 }));
    expect(err).toMatchObject({ name: 'ResourceLimitError', limit: 'maxMemory' });
    expect((err as Error).message).toContain('adapter_model.safetensors');
    expect(ms).toBeLessThan(FAST_MS);
    expect(growth).toBeLessThan(SMALL_GROWTH);
  });

  it('a real adapter under a budget smaller than its file: ResourceLimitError; at its size: loads', async () => {
    const dir = adapterDir(join(tmp, 'budget-golden'));
    await expect(readAdapterDir(dir, 'default', { maxMemoryBytes: golden.weights.length - 1 })).rejects.toMatchObject({
      name: 'ResourceLimitError',
      limit: 'maxMemory',
    });
    const { adapter: a } = await readAdapterDir(dir, 'default', { maxMemoryBytes: golden.weights.length });
    expect(a.modules.size).toBe(adapter.modules.size);
  });
});
