import { cpSync, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { peftGoldenPath } from '@vblora/conformance';
import { vblora } from '../helpers.js';
import { oneTypedLine, snapshotTree } from './helpers/hostile-adapters.js';

// #14 defect 6 (the command's part) and the `--adapter NAME` half of defect 11: an output that is one of the
// inputs — by name, through a symbolic link or a hard link — is refused with a PathError before anything is read
// or written, and the input stays byte for byte; an adapter name is a plain folder name that stays inside.
const tmp = mkdtempSync(join(tmpdir(), 'vblora-alias-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const CASE = 'llama_f32_vl16_nv64_top2';

function copyOf(flavour: 'adapter_full' | 'adapter_topk', name: string): string {
  const dir = join(tmp, name);
  cpSync(peftGoldenPath(CASE, flavour), dir, { recursive: true });
  return dir;
}

async function refused(argv: string[], dir: string, rule = 'output-aliases-input'): Promise<void> {
  const before = snapshotTree(dir);
  const r = await vblora(...argv);
  expect(r.status, `${argv.join(' ')}\n${r.stderr}`).toBe(1);
  expect(r.stderr).toMatch(oneTypedLine('PathError'));
  if (rule === 'output-aliases-input') expect(r.stderr).toContain('writing it would destroy what is being read');
  expect(snapshotTree(dir), argv.join(' ')).toEqual(before);
}

describe('defect 6: an output that aliases an input is refused', () => {
  it('compose -o <adapter>/adapter_model.safetensors, -o the config, -o the folder: PathError, input intact', async () => {
    const dir = copyOf('adapter_topk', 'compose-self');
    for (const out of ['adapter_model.safetensors', 'adapter_config.json', '.']) {
      await refused(['compose', dir, '-o', join(dir, out)], dir);
    }
  });

  it('compose -o a symbolic link or a hard link to the weights: PathError, input intact', async () => {
    const dir = copyOf('adapter_topk', 'compose-links');
    const links = join(tmp, 'compose-links-out');
    mkdirSync(links);
    symlinkSync(join(dir, 'adapter_model.safetensors'), join(links, 'sym.safetensors'));
    linkSync(join(dir, 'adapter_model.safetensors'), join(links, 'hard.safetensors'));
    symlinkSync(dir, join(links, 'dir-link'));
    for (const out of ['sym.safetensors', 'hard.safetensors', 'dir-link/adapter_model.safetensors']) {
      await refused(['compose', dir, '-o', join(links, out)], dir);
    }
  });

  it('convert -o its own input folder (either flavour), or into it through a link: PathError, input intact', async () => {
    const dir = copyOf('adapter_full', 'convert-self');
    symlinkSync(dir, join(tmp, 'convert-self-link'));
    for (const flag of ['--topk-only', '--full']) {
      await refused(['convert', dir, '-o', dir, flag], dir);
      await refused(['convert', dir, '-o', join(tmp, 'convert-self-link'), flag], dir);
    }
  });

  it('convert --adapter NAME -o the parent writes NAME/ over its input: PathError', async () => {
    const parent = join(tmp, 'convert-named');
    mkdirSync(parent);
    cpSync(peftGoldenPath(CASE, 'adapter_full'), join(parent, 'mine'), { recursive: true });
    await refused(['convert', parent, '--adapter', 'mine', '-o', parent, '--topk-only'], parent);
  });

  it('merge -o the adapter’s weights, or -o the base: PathError, both intact', async () => {
    const dir = copyOf('adapter_full', 'merge-self');
    const baseDir = join(tmp, 'merge-base');
    mkdirSync(baseDir);
    cpSync(peftGoldenPath(CASE, 'base.safetensors'), join(baseDir, 'base.safetensors'));
    const base = join(baseDir, 'base.safetensors');
    await refused(['merge', dir, '--base', base, '-o', join(dir, 'adapter_model.safetensors')], dir);
    await refused(['merge', dir, '--base', base, '-o', base], baseDir);
  });

  it('an output beside the input (not the same file) is written as before', async () => {
    const dir = copyOf('adapter_topk', 'compose-beside');
    const r = await vblora('compose', dir, '-o', join(dir, 'composed.safetensors'));
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([
      'adapter_config.json',
      'adapter_model.safetensors',
      'composed.safetensors',
    ]);
  });
});

describe('defect 11: --adapter NAME is a plain folder name, on read and on write', () => {
  it('--adapter ../x, .., a/b, an empty name: AdapterError exit 1 for inspect, compose and convert; nothing written', async () => {
    const root = join(tmp, 'names');
    mkdirSync(root);
    const dir = copyOf('adapter_topk', 'names/dir');
    cpSync(peftGoldenPath(CASE, 'adapter_full'), join(root, 'x'), { recursive: true }); // what ../x would reach
    const before = snapshotTree(root);
    const out = join(root, 'out');
    for (const name of ['../x', '..', 'a/b', '']) {
      for (const argv of [
        ['inspect', dir, '--adapter', name],
        ['compose', dir, '--adapter', name, '-o', join(out, 'c.safetensors')],
        ['convert', dir, '--adapter', name, '-o', out, '--full'],
      ]) {
        const r = await vblora(...argv);
        expect(r.status, `${argv.join(' ')}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toMatch(oneTypedLine('AdapterError'));
        expect(r.stderr).toContain('is not a plain folder name');
      }
    }
    expect(snapshotTree(root)).toEqual(before);
  });

  it('--adapter NAME whose sub-folder is a link out of <adapter_dir>: PathError outside-folder', async () => {
    const dir = join(tmp, 'link-out');
    mkdirSync(dir);
    const outside = copyOf('adapter_topk', 'link-out-target');
    symlinkSync(outside, join(dir, 'evil'));
    for (const argv of [
      ['inspect', dir, '--adapter', 'evil'],
      ['convert', dir, '--adapter', 'evil', '-o', join(tmp, 'link-out-converted'), '--full'],
    ]) {
      await refused(argv, outside, 'outside-folder');
    }
  });
});
