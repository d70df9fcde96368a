import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_MEMORY_BYTES, ResourceLimitError, type VBLoRAAdapter } from '@vblora/core';
import {
  AdapterSession,
  decodeOnnxModel,
  encodeOnnxModel,
  INJECTION_KEY,
  injectOnnxFile,
  mergeOnnxFile,
  OnnxModelError,
  readOnnxModel,
  runOnnxModel,
  type onnx,
} from '@vblora/onnx';
import { estimateDecodedBytes } from '../../src/model-io/decode-estimate.js';
import { toyModelBytes } from '../fixtures/toy-models.js';
import { goldenAdapter } from '../helpers/golden.js';
import { QUIET } from '../helpers/ort.js';
import { tempDir } from '../helpers/tmp.js';
import { CASE, externalModel, listing } from './helpers/model-folder.js';

const dir = tempDir('bounded');
let adapter: VBLoRAAdapter;

const HAS_MKFIFO = (() => {
  try {
    execFileSync('mkfifo', [join(dir, 'probe.fifo')]);
    return true;
  } catch {
    return false;
  }
})();

/** Runs `fn`, returning what it threw and how long it took (ms). */
async function timed(fn: () => Promise<unknown>): Promise<{ err: unknown; ms: number }> {
  const t0 = performance.now();
  const err = await fn().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { err, ms: performance.now() - t0 };
}

beforeAll(async () => {
  adapter = await goldenAdapter(CASE);
});

// Issue #14, defect 8: a FIFO as model.onnx hung forever, because base models were read with a plain readFile
// (opening a FIFO for reading blocks until a writer comes). Model files now go through the non-blocking open that
// accepts regular files only.
describe('issue #14 defect 8: a FIFO or device as model.onnx', () => {
  it.skipIf(!HAS_MKFIFO)(
    'a FIFO as model.onnx is refused with a typed error at once (read, merge, inject)',
    async () => {
      const fifo = join(dir, 'model.onnx');
      execFileSync('mkfifo', [fifo]);
      const out = join(dir, 'out-fifo');
      mkdirSync(out);
      for (const run of [
        () => readOnnxModel(fifo),
        () => mergeOnnxFile(adapter, fifo, join(out, 'merged.onnx')),
        () => injectOnnxFile(fifo, join(out, 'injected.onnx'), { adapter }),
        () => AdapterSession.create(fifo, { sessionOptions: QUIET }),
        () => runOnnxModel(fifo, {}, { sessionOptions: QUIET }),
      ]) {
        const { err, ms } = await timed(run);
        expect(err).toBeInstanceOf(OnnxModelError);
        expect((err as OnnxModelError).rule).toBe('file');
        expect((err as Error).message).toMatch(/not a regular file/);
        expect(ms).toBeLessThan(3000);
      }
      expect(listing(out)).toEqual([]);
    },
  );

  it.skipIf(!HAS_MKFIFO)('a FIFO as the external data file is refused before any output is created', async () => {
    const path = await externalModel(join(dir, 'fifo-data'));
    const data = join(dir, 'fifo-data', 'model.onnx.data');
    execFileSync('rm', [data]);
    execFileSync('mkfifo', [data]);
    const out = join(dir, 'out-fifo-data');
    mkdirSync(out);
    const { err, ms } = await timed(() => mergeOnnxFile(adapter, path, join(out, 'merged.onnx')));
    expect(err).toMatchObject({ name: 'OnnxModelError', rule: 'external-data' });
    expect(ms).toBeLessThan(3000);
    expect(listing(out)).toEqual([]);
  });

  it('a device, a folder and a missing path are refused with the same typed error', async () => {
    for (const path of ['/dev/zero', dir, join(dir, 'missing.onnx')]) {
      await expect(readOnnxModel(path), path).rejects.toMatchObject({ name: 'OnnxModelError', rule: 'file' });
    }
  });
});

/** A model whose graph holds `n` empty initializers: 2 bytes each on disk, a few hundred once decoded. */
function manyEmptyTensors(n: number): Uint8Array {
  const graph: onnx.IGraphProto = { name: 'g', initializer: Array.from({ length: n }, () => ({})) };
  return encodeOnnxModel({ irVersion: 8, graph });
}

// Issue #14, defect 7 (the ONNX part): every allocation sized by a file's contents is checked against the memory
// budget before it is made (default 4 GiB, `maxMemoryBytes`; the CLI's --max-memory).
describe('issue #14 defect 7: memory from a small ONNX file is checked against the budget first', () => {
  it('decoding is estimated from the wire format: 400 KB of empty tensors (~90 MB decoded) fail a 16 MiB budget', async () => {
    const bytes = manyEmptyTensors(200_000);
    expect(bytes.length).toBeLessThan(500_000);
    const estimate = estimateDecodedBytes(bytes);
    expect(estimate.bytes).toBeGreaterThan(200_000 * 300); // measured: ~370 bytes per empty TensorProto
    const path = join(dir, 'many-tensors.onnx');
    writeFileSync(path, bytes);
    const err = await readOnnxModel(path, { maxMemoryBytes: 16 * 2 ** 20 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceLimitError);
    expect((err as ResourceLimitError).limit).toBe('maxMemory');
    expect(() => decodeOnnxModel(bytes, { maxMemoryBytes: 16 * 2 ** 20 })).toThrow(ResourceLimitError);
    expect((await readOnnxModel(path)).proto.graph!.initializer!.length).toBe(200_000); // fits the default
  });

  it('a real model costs little beyond its bytes: tensor data stay views', () => {
    const bytes = toyModelBytes(CASE, { style: 'named' });
    expect(estimateDecodedBytes(bytes).bytes).toBeLessThan(bytes.length);
  });

  it('messages nested past 1000 levels are refused as malformed, not walked', () => {
    let graph: onnx.IGraphProto = { name: 'leaf' };
    for (let i = 0; i < 1100; i++)
      graph = { node: [{ opType: 'If', attribute: [{ name: 'then_branch', type: 5, g: graph }] }] };
    const bytes = encodeOnnxModel({ irVersion: 8, graph });
    expect(() => decodeOnnxModel(bytes)).toThrow(expect.objectContaining({ name: 'OnnxModelError', rule: 'protobuf' }));
  });

  it('an injection description that declares huge or malformed modules is refused; feeds sized from it are budgeted', async () => {
    const path = join(dir, 'injected.onnx');
    await injectOnnxFile(await externalModel(join(dir, 'inj-base')), path, { adapter });
    const edited = (
      edit: (info: Record<string, unknown> & { modules: Record<string, unknown>[] }) => void,
    ): Uint8Array => {
      const model = decodeOnnxModel(new Uint8Array(readFileSync(path)));
      const entry = model.proto.metadataProps!.find((p) => p.key === INJECTION_KEY)!;
      const info = JSON.parse(entry.value!);
      edit(info);
      entry.value = JSON.stringify(info);
      return encodeOnnxModel(model.proto);
    };
    for (const [label, edit] of [
      ['2^40 features', (i) => void (i.modules[0]!['inFeatures'] = 2 ** 40)],
      ['negative features', (i) => void (i.modules[0]!['outFeatures'] = -4)],
      ['a missing input name', (i) => void delete (i.modules[0]!['inputs'] as Record<string, unknown>)['A']],
      ['no variant', (i) => void delete i['variant']],
    ] as [string, Parameters<typeof edited>[0]][]) {
      await expect(AdapterSession.create(edited(edit), { sessionOptions: QUIET }), label).rejects.toMatchObject({
        name: 'OnnxModelError',
        rule: 'injection-metadata',
      });
    }
    // a well-formed description whose base-only feeds would take 8 GiB: refused before allocating
    writeFileSync(
      join(dir, 'huge.onnx'),
      edited((i) => void (i.modules[0]!['inFeatures'] = 2 ** 31 - 1)),
    );
    const err = await AdapterSession.create(join(dir, 'huge.onnx'), { sessionOptions: QUIET })
      .then((s) => s.run({}, { adapter: null }).finally(() => s.release()))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ResourceLimitError', limit: 'maxMemory' });
  });

  it('an adapter whose module sizes differ from the injected branches is a ShapeError, not an onnxruntime failure', async () => {
    const path = join(dir, 'inj-shape.onnx');
    writeFileSync(join(dir, 'inj-shape-base.onnx'), toyModelBytes(CASE, { style: 'named' }));
    await injectOnnxFile(join(dir, 'inj-shape-base.onnx'), path, { adapter });
    const s = await AdapterSession.create(path, { sessionOptions: QUIET });
    try {
      const [first] = adapter.modules.values();
      const modules = new Map(adapter.modules);
      modules.set(first!.path, { ...first!, inFeatures: first!.inFeatures * 2 });
      await expect(s.loadAdapter('bad', { ...adapter, modules })).rejects.toMatchObject({ name: 'ShapeError' });
    } finally {
      await s.release();
    }
  });

  it('merge and inject refuse a budget the model and its largest merged weight do not fit, before writing anything', async () => {
    const path = await externalModel(join(dir, 'budget'));
    const out = join(dir, 'out-budget');
    mkdirSync(out);
    const small = { maxMemoryBytes: 64 * 2 ** 10 };
    await expect(mergeOnnxFile(adapter, path, join(out, 'merged.onnx'), small)).rejects.toMatchObject({
      name: 'ResourceLimitError',
      limit: 'maxMemory',
    });
    await expect(injectOnnxFile(path, join(out, 'injected.onnx'), { adapter, ...small })).rejects.toMatchObject({
      name: 'ResourceLimitError',
      limit: 'maxMemory',
    });
    expect(listing(out)).toEqual([]);
    expect(DEFAULT_MAX_MEMORY_BYTES).toBe(4 * 2 ** 30);
    await expect(mergeOnnxFile(adapter, path, join(out, 'merged.onnx'))).resolves.toMatchObject({
      patchedInPlace: false,
    });
  });
});
