import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PathError, type VBLoRAAdapter } from '@vblora/core';
import {
  AdapterSession,
  decodeOnnxModel,
  externalDataRef,
  injectOnnxFile,
  mergeOnnxFile,
  OnnxModelError,
  readOnnxModel,
  readTensorData,
  runOnnxModel,
  writeOnnxModel,
  type OnnxModel,
} from '@vblora/onnx';
import { toyModelBytes } from '../fixtures/toy-models.js';
import { goldenAdapter } from '../helpers/golden.js';
import { QUIET } from '../helpers/ort.js';
import { tempDir } from '../helpers/tmp.js';
import {
  CASE,
  externalExtent,
  externalModel,
  filesWithSecret,
  listing,
  relocate,
  writeSecret,
} from './helpers/model-folder.js';

// Issue #14, defect 2: `location` was checked as text only, so a symbolic link inside the model folder (to `/`, or
// to one outside file) let a model pull any readable file into `merged.onnx.data` (onnx's CVE-2024-27318). Rule:
// real paths are compared, links that leave the folder are refused, on read and on write.
const root = tempDir('links');
const secretDir = join(root, 'secret');
let secret = '';
let adapter: VBLoRAAdapter;

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A model folder `name` whose external data location is `location`, after `prepare` made its links. */
async function folder(
  name: string,
  location: (dir: string) => string,
  prepare: (dir: string) => void,
): Promise<string> {
  const dir = join(root, name);
  const path = await externalModel(dir);
  prepare(dir);
  relocate(path, location(dir));
  return path;
}

function firstExternal(model: OnnxModel) {
  return model.proto.graph!.initializer!.find((t) => externalDataRef(t) !== null)!;
}

function expectOutsideFolder(err: unknown): void {
  expect(err).toBeInstanceOf(OnnxModelError);
  expect((err as OnnxModelError).rule).toBe('external-data');
  expect((err as Error).cause).toBeInstanceOf(PathError);
  expect(((err as Error).cause as PathError).rule).toBe('outside-folder');
}

const escapes: [string, (dir: string) => string, (dir: string) => void][] = [
  [
    'a link to / used as an /etc/passwd-style path',
    () => join('rootfs', secret.slice(1)),
    (d) => symlinkSync('/', join(d, 'rootfs')),
  ],
  ['a link to one outside file', () => 'weights.bin', (d) => symlinkSync(secret, join(d, 'weights.bin'))],
  ['a link to an outside folder', () => 'shared/secret.bin', (d) => symlinkSync(secretDir, join(d, 'shared'))],
  ['a dangling link', () => 'gone.bin', (d) => symlinkSync(join(d, 'nowhere.bin'), join(d, 'gone.bin'))],
];

beforeAll(async () => {
  adapter = await goldenAdapter(CASE);
  mkdirSync(secretDir);
  // as long as the real data file, so that only the link rule can refuse it
  const probe = await externalModel(join(root, 'probe'));
  secret = writeSecret(join(secretDir, 'secret.bin'), externalExtent(probe));
});

describe('issue #14 defect 2: external data escaping the model folder through symbolic links', () => {
  it.each(escapes)(
    '%s: read, merge, inject and write refuse it with a typed error, and copy no outside byte',
    async (label, location, prepare) => {
      const path = await folder(label.replace(/\W+/g, '-'), location, prepare);
      const out = join(root, `out-${label.replace(/\W+/g, '-')}`);
      mkdirSync(out);
      const model = await readOnnxModel(path); // the .onnx itself reads nothing external
      expectOutsideFolder(await readTensorData(model, firstExternal(model)).catch((e: unknown) => e));
      expectOutsideFolder(await mergeOnnxFile(adapter, path, join(out, 'merged.onnx')).catch((e: unknown) => e));
      expectOutsideFolder(await injectOnnxFile(path, join(out, 'injected.onnx'), { adapter }).catch((e: unknown) => e));
      for (const externalData of ['keep', 'inline', { threshold: 1024 }] as const) {
        expectOutsideFolder(
          await writeOnnxModel(model, join(out, 'copy.onnx'), { externalData }).catch((e: unknown) => e),
        );
      }
      expect(listing(out)).toEqual([]);
      expect(filesWithSecret(root).filter((p) => p !== secret)).toEqual([]);
    },
  );

  it('onnxruntime never gets a model whose external data leave its folder (AdapterSession, runOnnxModel)', async () => {
    const dir = join(root, 'runtime');
    const injected = await injectOnnxFile(await externalModel(dir), join(dir, 'injected.onnx'), { adapter });
    renameSync(injected.dataPath!, join(dir, 'moved.data'));
    symlinkSync(secret, injected.dataPath!);
    expectOutsideFolder(await AdapterSession.create(injected.path, { sessionOptions: QUIET }).catch((e: unknown) => e));
    expectOutsideFolder(await runOnnxModel(injected.path, {}, { sessionOptions: QUIET }).catch((e: unknown) => e));
  });

  it('a link to a folder inside the model folder is followed: the model reads, merges and injects as without it', async () => {
    const path = await folder(
      'inside-link',
      () => 'data/model.onnx.data',
      (d) => {
        mkdirSync(join(d, 'store'));
        renameSync(join(d, 'model.onnx.data'), join(d, 'store', 'model.onnx.data'));
        symlinkSync('store', join(d, 'data'));
      },
    );
    const plain = await externalModel(join(root, 'inside-plain'));
    const out = join(root, 'out-inside');
    mkdirSync(out);
    const linked = await mergeOnnxFile(adapter, path, join(out, 'linked.onnx'));
    const reference = await mergeOnnxFile(adapter, plain, join(out, 'plain.onnx'));
    expect(linked.dataPath).toBe(join(out, 'linked.onnx.data'));
    expect(sha(linked.dataPath!)).toBe(sha(reference.dataPath!));
    const injected = await injectOnnxFile(path, join(out, 'injected.onnx'), { adapter });
    expect(injected.dataBytes).toBeGreaterThan(0);
  });
});

describe('issue #14 defect 2, write side: the output data file stays inside the output folder', () => {
  let model: OnnxModel;
  beforeAll(async () => {
    model = await readOnnxModel(await externalModel(join(root, 'src')));
  });

  it('an output data file that is a link leading out is refused, and the file it points to is untouched', async () => {
    const out = join(root, 'w-link-out');
    mkdirSync(out);
    symlinkSync(secret, join(out, 'merged.onnx.data'));
    const before = sha(secret);
    const err = await writeOnnxModel(model, join(out, 'merged.onnx')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PathError);
    expect((err as PathError).rule).toBe('outside-folder');
    await expect(mergeOnnxFile(adapter, model.path!, join(out, 'merged.onnx'))).rejects.toMatchObject({
      name: 'PathError',
      rule: 'outside-folder',
    });
    expect(sha(secret)).toBe(before);
    expect(listing(out)).toEqual(['merged.onnx.data']);
  });

  it('a data location through a folder link leading out is refused', async () => {
    const out = join(root, 'w-dir-out');
    mkdirSync(out);
    symlinkSync(secretDir, join(out, 'sub'));
    const err = await writeOnnxModel(model, join(out, 'm.onnx'), {
      externalData: { location: 'sub/w.data', threshold: 1024 },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'PathError', rule: 'outside-folder' });
    expect(listing(secretDir)).toEqual(['secret.bin']);
    expect(listing(out)).toEqual(['sub']);
  });

  it('a link at the data file place that stays inside is replaced by the new file, never written through', async () => {
    const out = join(root, 'w-link-in');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.bin'), 'unrelated file');
    symlinkSync('keep.bin', join(out, 'm.onnx.data'));
    const report = await writeOnnxModel(model, join(out, 'm.onnx'));
    expect(readFileSync(join(out, 'keep.bin'), 'utf8')).toBe('unrelated file');
    expect(lstatSync(report.dataPath!).isFile()).toBe(true);
    const back = await readOnnxModel(join(out, 'm.onnx'));
    const t = firstExternal(back);
    expect(await readTensorData(back, t)).toEqual(
      await readTensorData(
        model,
        model.proto.graph!.initializer!.find((x) => x.name === t.name)!,
      ),
    );
  });

  it('an output beside its input that would write the input data file (same name, or a link to it) is refused', async () => {
    const dir = join(root, 'alias');
    const path = await externalModel(dir);
    const input = await readOnnxModel(path);
    const before = sha(join(dir, 'model.onnx.data'));
    const same = { externalData: { location: 'model.onnx.data', threshold: 1024 } } as const;
    await expect(writeOnnxModel(input, join(dir, 'other.onnx'), same)).rejects.toMatchObject({
      name: 'PathError',
      rule: 'output-aliases-input',
    });
    symlinkSync('model.onnx.data', join(dir, 'merged.onnx.data'));
    await expect(mergeOnnxFile(adapter, path, join(dir, 'merged.onnx'))).rejects.toMatchObject({
      name: 'PathError',
      rule: 'output-aliases-input',
    });
    await expect(mergeOnnxFile(adapter, path, path)).rejects.toMatchObject({
      name: 'PathError',
      rule: 'output-aliases-input',
    });
    expect(sha(join(dir, 'model.onnx.data'))).toBe(before);
    expect(listing(dir)).toEqual(['merged.onnx.data', 'model.onnx', 'model.onnx.data']);
  });

  it('an inline model merged onto itself is refused before it is patched', async () => {
    const path = join(root, 'inline-self.onnx');
    writeFileSync(path, toyModelBytes(CASE, { style: 'named' }));
    const before = sha(path);
    await expect(mergeOnnxFile(adapter, path, path)).rejects.toMatchObject({
      name: 'PathError',
      rule: 'output-aliases-input',
    });
    expect(sha(path)).toBe(before);
    expect(decodeOnnxModel(new Uint8Array(readFileSync(path))).proto.graph).toBeTruthy();
  });
});
