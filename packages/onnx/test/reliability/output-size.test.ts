import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ResourceLimitError, type VBLoRAAdapter } from '@vblora/core';
import {
  decodeOnnxModel,
  encodeOnnxModel,
  externalDataRef,
  injectOnnxFile,
  mergeOnnxFile,
  readOnnxModel,
  readTensorData,
  writeOnnxModel,
  type onnx,
} from '@vblora/onnx';
import { readGolden } from '../fixtures/toy-models.js';
import { CHECKER, checkOnnxFiles } from '../helpers/checker.js';
import { goldenAdapter } from '../helpers/golden.js';
import { runToy } from '../helpers/ort.js';
import { tempDir } from '../helpers/tmp.js';
import { CASE, externalModel, listing } from './helpers/model-folder.js';

// Issue #14, defect 9: 2,000 initializers pointing at one 270 KB range of the external data turned a 438 KB model
// into a 541 MB output, each copied out in full. Rule: initializers reading the very same range (file, offset,
// length) share one range in the output, as in the input; what still grows (overlapping but different ranges, a
// shared range written inline) is bounded before any file is created: by default twice the input plus 64 MiB
// (`maxOutputBytes`), a ResourceLimitError otherwise.
const dir = tempDir('outsize');
const ALIASES = 2000;
const BIG = 69_120; // float32 elements: 270 KiB
let adapter: VBLoRAAdapter;

const fileSize = (p: string): number => statSync(p).size;

/** The toy model (external data) plus `big.bin` and `ALIASES` initializers reading it at `offsetOf(i)`. */
async function aliasedModel(
  name: string,
  count: number,
  offsetOf: (i: number) => number,
): Promise<{ path: string; inputBytes: number }> {
  const folder = join(dir, name);
  const path = await externalModel(folder);
  const data = new Float32Array(BIG + count * 16).map((_, i) => i % 977);
  writeFileSync(join(folder, 'big.bin'), new Uint8Array(data.buffer));
  const model = decodeOnnxModel(new Uint8Array(readFileSync(path)));
  const aliases: onnx.ITensorProto[] = Array.from({ length: count }, (_, i) => ({
    name: `alias.${i}`,
    dims: [BIG],
    dataType: 1,
    dataLocation: 1,
    externalData: [
      { key: 'location', value: 'big.bin' },
      { key: 'offset', value: String(offsetOf(i)) },
      { key: 'length', value: String(BIG * 4) },
    ],
  }));
  model.proto.graph!.initializer!.push(...aliases);
  writeFileSync(path, encodeOnnxModel(model.proto));
  const inputBytes = fileSize(path) + fileSize(join(folder, 'model.onnx.data')) + fileSize(join(folder, 'big.bin'));
  return { path, inputBytes };
}

beforeAll(async () => {
  adapter = await goldenAdapter(CASE);
});

describe('issue #14 defect 9: initializers aliasing one external range', () => {
  it(`${ALIASES} initializers sharing one 270 KB range stay shared: the output is about the input's size`, async () => {
    const { path, inputBytes } = await aliasedModel('shared', ALIASES, () => 0);
    const out = join(dir, 'out-shared');
    mkdirSync(out);
    const copy = await writeOnnxModel(await readOnnxModel(path), join(out, 'copy.onnx'));
    const merged = await mergeOnnxFile(adapter, path, join(out, 'merged.onnx'));
    const injected = await injectOnnxFile(path, join(out, 'injected.onnx'), { adapter });
    for (const written of [copy, injected, { path: merged.path, dataPath: merged.dataPath! }]) {
      const total = fileSize(written.path) + fileSize(written.dataPath!);
      expect(total, written.path).toBeLessThan(inputBytes * 1.1); // was ALIASES × 270 KB ≈ 553 MB
    }
    // every alias still reads the 270 KB it read before, from the one shared range
    const back = await readOnnxModel(copy.path);
    const aliases = back.proto.graph!.initializer!.filter((t) => t.name!.startsWith('alias.'));
    expect(new Set(aliases.map((t) => externalDataRef(t)!.offset)).size).toBe(1);
    const want = new Float32Array(new Uint8Array(readFileSync(join(dir, 'shared', 'big.bin'))).buffer, 0, BIG);
    expect((await readTensorData(back, aliases[ALIASES - 1]!)).data).toEqual(want);
    // the merged model with its shared ranges runs exactly as the merge of the model without the aliases
    const plain = await mergeOnnxFile(adapter, await externalModel(join(dir, 'shared-plain')), join(out, 'plain.onnx'));
    const x = readGolden(CASE, 'expected.safetensors').get('input.x')!;
    expect(Array.from((await runToy(merged.path, x)).data)).toEqual(Array.from((await runToy(plain.path, x)).data));
    if (CHECKER) checkOnnxFiles([copy.path, merged.path, injected.path]);
  });

  it('the same shared range written inline is refused before any file is created', async () => {
    const { path } = await aliasedModel('inline', ALIASES, () => 0);
    const out = join(dir, 'out-inline');
    mkdirSync(out);
    const t0 = performance.now();
    const err = await writeOnnxModel(await readOnnxModel(path), join(out, 'inline.onnx'), {
      externalData: 'inline',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceLimitError);
    expect((err as ResourceLimitError).limit).toBe('maxOutputBytes');
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(listing(out)).toEqual([]);
  });

  it(`${ALIASES} overlapping but different ranges: the output bound fires before writing (merge, inject, write)`, async () => {
    const { path } = await aliasedModel('overlap', ALIASES, (i) => i * 64);
    const out = join(dir, 'out-overlap');
    mkdirSync(out);
    for (const run of [
      async () => writeOnnxModel(await readOnnxModel(path), join(out, 'copy.onnx')),
      () => mergeOnnxFile(adapter, path, join(out, 'merged.onnx')),
      () => injectOnnxFile(path, join(out, 'injected.onnx'), { adapter }),
    ]) {
      const t0 = performance.now();
      await expect(run()).rejects.toMatchObject({ name: 'ResourceLimitError', limit: 'maxOutputBytes' });
      expect(performance.now() - t0).toBeLessThan(3000);
    }
    expect(listing(out)).toEqual([]);
  });

  it('a few overlapping ranges fit the bound and each is copied out with its own bytes', async () => {
    const { path } = await aliasedModel('few', 8, (i) => i * 64);
    const out = join(dir, 'out-few');
    mkdirSync(out);
    const input = await readOnnxModel(path);
    const copy = await readOnnxModel((await writeOnnxModel(input, join(out, 'copy.onnx'))).path);
    const byName = new Map(input.proto.graph!.initializer!.map((t) => [t.name, t]));
    for (const t of copy.proto.graph!.initializer!.filter((x) => x.name!.startsWith('alias.'))) {
      expect((await readTensorData(copy, t)).data, t.name!).toEqual(
        (await readTensorData(input, byName.get(t.name)!)).data,
      );
    }
  });

  it('maxOutputBytes caps a write explicitly', async () => {
    const path = await externalModel(join(dir, 'capped'));
    await expect(
      writeOnnxModel(await readOnnxModel(path), join(dir, 'capped', 'out.onnx'), { maxOutputBytes: 1024 }),
    ).rejects.toMatchObject({
      name: 'ResourceLimitError',
      limit: 'maxOutputBytes',
    });
    expect(listing(join(dir, 'capped'))).toEqual(['model.onnx', 'model.onnx.data']);
  });
});
