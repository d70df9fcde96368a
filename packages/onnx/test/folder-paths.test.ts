/**
 * What a model folder can make the folder commands do (reliability.md's threat model): entries resolved inside the
 * folder by real path (links out refused, links inside followed), regular files only (a FIFO refused at once),
 * an output that never overwrites or nests with the input and is written all or nothing, one writer at a time.
 * Every refusal is a typed error and leaves the file system as it was.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PathError, type VBLoRAAdapter } from '@vblora/core';
import { LOCK_FILE } from '@vblora/core/node';
import { mergeModelFolder, OnnxModelError } from '@vblora/onnx';
import { goldenAdapter } from './helpers/golden.js';
import { FOLDER_CASE, writeTestFolder } from './helpers/model-folders.js';
import { tempDir } from './helpers/tmp.js';

const dir = tempDir('folder-paths');
let clean: string;
let adapter: VBLoRAAdapter;

beforeAll(async () => {
  clean = await writeTestFolder(join(dir, 'clean'), ['fp32']);
  adapter = await goldenAdapter(FOLDER_CASE);
});

/** A fresh copy of the clean folder. */
function copyOf(name: string): string {
  const to = join(dir, name);
  cpSync(clean, to, { recursive: true });
  return to;
}

/** Hash of every file under a folder (names, link targets and bytes), to show it did not change. */
function treeHash(root: string): string {
  const h = createHash('sha256');
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      h.update(p);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) h.update(readFileSync(p));
    }
  };
  walk(root);
  return h.digest('hex');
}

const leftovers = (parent: string) => readdirSync(parent).filter((n) => n.startsWith('.vblora-'));

async function refused(input: string, out: string, type: new (...a: never[]) => Error, rule: string): Promise<void> {
  const before = treeHash(input);
  const err = await mergeModelFolder(adapter, input, out).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(type);
  expect((err as { rule?: string }).rule).toBe(rule);
  expect(treeHash(input)).toBe(before);
  expect(leftovers(dir)).toEqual([]);
}

describe('model folder paths', () => {
  it('folder-paths/link-out: a config file linking out of the folder is refused; the secret is read nowhere', async () => {
    const input = copyOf('link-out');
    writeFileSync(join(dir, 'secret.txt'), 'SECRET');
    rmSync(join(input, 'tokenizer.json'));
    symlinkSync(join(dir, 'secret.txt'), join(input, 'tokenizer.json'));
    await refused(input, join(dir, 'out-link-out'), PathError, 'outside-folder');
    expect(existsSync(join(dir, 'out-link-out'))).toBe(false);
  });

  it('folder-paths/onnx-link-out: an onnx/ folder linking out is refused', async () => {
    const input = copyOf('onnx-link-out');
    const elsewhere = join(dir, 'elsewhere-onnx');
    cpSync(join(input, 'onnx'), elsewhere, { recursive: true });
    rmSync(join(input, 'onnx'), { recursive: true });
    symlinkSync(elsewhere, join(input, 'onnx'));
    await refused(input, join(dir, 'out-onnx-link'), PathError, 'outside-folder');
  });

  it('folder-paths/link-inside: a link that stays inside is followed and its target copied as a regular file', async () => {
    const input = copyOf('link-inside');
    writeFileSync(join(input, 'tokenizer.real.json'), '{"real": true}');
    rmSync(join(input, 'tokenizer.json'));
    symlinkSync('tokenizer.real.json', join(input, 'tokenizer.json'));
    const out = join(dir, 'out-link-inside');
    await mergeModelFolder(adapter, input, out);
    expect(readFileSync(join(out, 'tokenizer.json'), 'utf8')).toBe('{"real": true}');
    expect(statSync(join(out, 'tokenizer.json')).isFile()).toBe(true);
  });

  it('folder-paths/same: the output is the input folder (by name or through a link): refused', async () => {
    const input = copyOf('same');
    await refused(input, input, PathError, 'output-aliases-input');
    symlinkSync(input, join(dir, 'same-link'));
    await refused(input, join(dir, 'same-link'), PathError, 'output-aliases-input');
  });

  it('folder-paths/nested: an output inside the input, or holding it, is refused', async () => {
    const input = copyOf('nested');
    await refused(input, join(input, 'merged'), PathError, 'output-aliases-input');
    await refused(input, join(input, 'onnx'), PathError, 'output-aliases-input');
    await refused(input, dir, PathError, 'output-aliases-input');
  });

  it('folder-paths/not-empty: an output folder that holds files is left alone; an empty one is used', async () => {
    const out = join(dir, 'out-full');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'mine');
    await refused(clean, out, PathError, 'output-exists');
    expect(readdirSync(out)).toEqual(['keep.txt']);
    const empty = join(dir, 'out-empty');
    mkdirSync(empty);
    await mergeModelFolder(adapter, clean, empty);
    expect(readdirSync(empty).sort()).toEqual(readdirSync(clean).sort());
  });

  it('folder-paths/fifo: a FIFO as config.json (or as a model) is refused at once, nothing written', async () => {
    const input = copyOf('fifo');
    rmSync(join(input, 'config.json'));
    execFileSync('mkfifo', [join(input, 'config.json')]);
    const out = join(dir, 'out-fifo');
    const t0 = Date.now();
    await refused(input, out, OnnxModelError, 'file');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(existsSync(out)).toBe(false);
    const input2 = copyOf('fifo-model');
    execFileSync('mkfifo', [join(input2, 'onnx', 'model_q4.onnx')]);
    await refused(input2, out, OnnxModelError, 'file');
  });

  it('folder-paths/not-a-model-folder: no config.json, or no onnx/, is a typed error', async () => {
    const input = copyOf('no-config');
    rmSync(join(input, 'config.json'));
    await refused(input, join(dir, 'out-nc'), OnnxModelError, 'model-folder');
    const input2 = copyOf('no-onnx');
    rmSync(join(input2, 'onnx'), { recursive: true });
    await refused(input2, join(dir, 'out-no'), OnnxModelError, 'model-folder');
  });

  it('folder-paths/atomic: a variant failing while written leaves no output and no staging folder', async () => {
    const input = copyOf('atomic');
    await writeTestFolder(input, ['fp32', 'fp16'], { external: ['fp16'] });
    const data = join(input, 'onnx', 'model_fp16.onnx_data');
    truncateSync(data, statSync(data).size - 100); // the last tensor ends past the file
    const out = join(dir, 'out-atomic');
    const err = await mergeModelFolder(adapter, input, out).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OnnxModelError);
    expect(existsSync(out)).toBe(false);
    expect(leftovers(dir)).toEqual([]);
  });

  it('folder-paths/locked: an output another live process is writing is refused, its lock kept', async () => {
    const out = join(dir, 'out-locked');
    mkdirSync(out);
    const lock = JSON.stringify({ pid: process.ppid, host: hostname(), token: 'abcdef0123456789' });
    writeFileSync(join(out, LOCK_FILE), lock);
    await refused(clean, out, PathError, 'locked');
    expect(readFileSync(join(out, LOCK_FILE), 'utf8')).toBe(lock);
  });

  it('folder-paths/not-carried: weights of other frameworks and sub-folders are reported, not copied', async () => {
    const input = copyOf('extras');
    writeFileSync(join(input, 'model.safetensors'), 'not ours');
    mkdirSync(join(input, '.git'));
    writeFileSync(join(input, 'onnx', 'notes.txt'), 'x');
    const out = join(dir, 'out-extras');
    const report = await mergeModelFolder(adapter, input, out);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(false);
    expect(existsSync(join(out, '.git'))).toBe(false);
    expect(report.notCarried.join('\n')).toMatch(/model\.safetensors.*\n?.*/);
    expect(report.notCarried.some((n) => n.startsWith('.git/'))).toBe(true);
    expect(report.notCarried.some((n) => n.startsWith('onnx/notes.txt'))).toBe(true);
  });
});
