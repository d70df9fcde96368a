import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ShapeError, tensor, type HostTensor } from '@vblora/core';
import {
  decodeOnnxModel,
  encodeOnnxModel,
  externalDataRef,
  GraphBuilder,
  OnnxModelError,
  readOnnxModel,
  readTensorData,
  storageOf,
  writeOnnxModel,
  type onnx,
} from '@vblora/onnx';
import { readGolden, toyModelBytes } from './fixtures/toy-models.js';
import { CHECKER, checkOnnxFiles } from './helpers/checker.js';
import { runToy } from './helpers/ort.js';
import { tempDir } from './helpers/tmp.js';

const dir = tempDir('io');
const written: string[] = [];
const CASE = 'llama_f32_vl16_nv64_top2';
const x = readGolden(CASE, 'expected.safetensors').get('input.x')!;

const bytesOf = (t: HostTensor): number[] =>
  Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));

describe('writeOnnxModel', () => {
  it('streams a model that decodes to the same protobuf, and runs to the same outputs', async () => {
    const original = toyModelBytes(CASE, { style: 'torch' });
    const path = join(dir, 'roundtrip.onnx');
    const report = await writeOnnxModel(decodeOnnxModel(original), path);
    expect(report.dataPath).toBeNull();
    const back = await readOnnxModel(path);
    // protobufjs re-encodes canonically: equal bytes mean equal messages
    expect(Buffer.from(encodeOnnxModel(back.proto)).equals(Buffer.from(original))).toBe(true);
    expect(statSync(path).size).toBe(report.modelBytes);
    const [a, b] = [await runToy(original, x), await runToy(path, x)];
    expect(Array.from(b.data)).toEqual(Array.from(a.data)); // same graph, same weights: identical bits
    written.push(path);
  });

  it('moves large tensors to an aligned external data file and back', async () => {
    const original = decodeOnnxModel(toyModelBytes(CASE, { style: 'named' }));
    const sub = join(dir, 'ext');
    await import('node:fs/promises').then((fs) => fs.mkdir(sub));
    const path = join(sub, 'model.onnx');
    const report = await writeOnnxModel(original, path, { externalData: { threshold: 1024 } });
    expect(report.dataPath).toBe(join(sub, 'model.onnx.data'));
    expect(statSync(report.dataPath!).size).toBe(report.dataBytes);
    const ext = await readOnnxModel(path);
    const inits = ext.proto.graph!.initializer!;
    const moved = inits.filter((t) => storageOf(t) === 'external');
    expect(moved.length).toBeGreaterThan(10);
    for (const t of moved) expect(externalDataRef(t)!.offset % 64).toBe(0);
    expect(statSync(path).size).toBeLessThan(report.dataBytes / 10);
    const byName = new Map(original.proto.graph!.initializer!.map((t) => [t.name, t]));
    for (const t of inits)
      expect(bytesOf(await readTensorData(ext, t))).toEqual(
        bytesOf(await readTensorData(original, byName.get(t.name)!)),
      );
    written.push(path);
    expect(Array.from((await runToy(path, x)).data)).toEqual(Array.from((await runToy(original.bytes, x)).data));

    // 'keep' copies external data beside a new output; 'inline' brings everything back
    const sub2 = join(dir, 'ext2');
    await import('node:fs/promises').then((fs) => fs.mkdir(sub2));
    const kept = await writeOnnxModel(ext, join(sub2, 'copy.onnx'));
    expect(kept.dataPath).toBe(join(sub2, 'copy.onnx.data'));
    expect(Array.from((await runToy(join(sub2, 'copy.onnx'), x)).data)).toEqual(
      Array.from((await runToy(path, x)).data),
    );
    const inlinePath = join(dir, 'inline.onnx');
    expect((await writeOnnxModel(ext, inlinePath, { externalData: 'inline' })).dataPath).toBeNull();
    const inline = await readOnnxModel(inlinePath);
    expect(inline.proto.graph!.initializer!.every((t) => storageOf(t) === 'raw')).toBe(true);
    expect(Buffer.from(encodeOnnxModel(inline.proto)).equals(Buffer.from(original.bytes))).toBe(true);
    written.push(join(sub2, 'copy.onnx'), inlinePath);
  });

  it('rejects a replacement of the wrong shape and leaves no file behind', async () => {
    const sub = join(dir, 'fail');
    await import('node:fs/promises').then((fs) => fs.mkdir(sub));
    const model = decodeOnnxModel(toyModelBytes(CASE, { style: 'named' }));
    const replace = new Map([['head.bias', () => tensor('f32', [3], new Float32Array(3))]]);
    await expect(writeOnnxModel(model, join(sub, 'out.onnx'), { replace })).rejects.toThrow(ShapeError);
    expect(readdirSync(sub)).toEqual([]);
  });
});

describe('initializer data', () => {
  /** A model with one initializer stored as given and an Identity from it to the output. */
  function modelWith(t: onnx.ITensorProto): Uint8Array {
    const g = new GraphBuilder();
    g.initializers.push(t);
    g.op('Identity', [t.name!], {}, { outputs: ['y'] });
    g.output('y', 'f32');
    return encodeOnnxModel(g.model());
  }

  it('reads the typed fields: float_data, int32_data (f16/bf16 bits, int8), int64_data, double_data', async () => {
    const cases: [onnx.ITensorProto, HostTensor][] = [
      [{ name: 'a', dims: [2], dataType: 1, floatData: [1.5, -2] }, tensor('f32', [2], Float32Array.of(1.5, -2))],
      [
        { name: 'b', dims: [2], dataType: 10, int32Data: [0x3c00, 0xc000] },
        tensor('f16', [2], Uint16Array.of(0x3c00, 0xc000)),
      ],
      [
        { name: 'c', dims: [1, 2], dataType: 16, int32Data: [0x3f80, 0x4049] },
        tensor('bf16', [1, 2], Uint16Array.of(0x3f80, 0x4049)),
      ],
      [{ name: 'd', dims: [2], dataType: 3, int32Data: [-3, 7] }, tensor('i8', [2], Int8Array.of(-3, 7))],
      [
        { name: 'e', dims: [2], dataType: 7, int64Data: [-5, 2 ** 40] },
        tensor('i64', [2], BigInt64Array.of(-5n, 2n ** 40n)),
      ],
      [{ name: 'f', dims: [1], dataType: 11, doubleData: [0.1] }, tensor('f64', [1], Float64Array.of(0.1))],
    ];
    for (const [proto, want] of cases) {
      const m = decodeOnnxModel(modelWith(proto));
      const t = m.proto.graph!.initializer![0]!;
      expect(storageOf(t), proto.name!).toBe('typed');
      const got = await readTensorData(m, t);
      expect(got.dtype, proto.name!).toBe(want.dtype);
      expect(got.shape, proto.name!).toEqual(want.shape);
      expect(Array.from(got.data as ArrayLike<number>), proto.name!).toEqual(
        Array.from(want.data as ArrayLike<number>),
      );
    }
  });

  it('reads raw bf16 and f16 initializers as their bit patterns, even at odd offsets', async () => {
    const bits = Uint16Array.of(0x3f80, 0xbf00, 0x7f80);
    for (const dataType of [10, 16]) {
      const bytes = modelWith({ name: 'w', dims: [3], dataType, rawData: new Uint8Array(bits.buffer) });
      const shifted = new Uint8Array(bytes.length + 1);
      shifted.set(bytes, 1); // the raw data now sit at an odd address: read by copy
      const m = decodeOnnxModel(shifted.subarray(1));
      const t = await readTensorData(m, m.proto.graph!.initializer![0]!);
      expect(Array.from(t.data as Uint16Array)).toEqual(Array.from(bits));
    }
  });

  it('rejects a raw_data size that does not match the shape', async () => {
    const m = decodeOnnxModel(modelWith({ name: 'w', dims: [3], dataType: 1, rawData: new Uint8Array(8) }));
    await expect(readTensorData(m, m.proto.graph!.initializer![0]!)).rejects.toMatchObject({
      name: 'OnnxModelError',
      rule: 'tensor-size',
    });
  });

  it('refuses external data outside the model folder and short external files', async () => {
    const sub = join(dir, 'evil');
    await import('node:fs/promises').then((fs) => fs.mkdir(sub));
    writeFileSync(join(sub, 'short.bin'), new Uint8Array(4));
    const ext = (location: string): onnx.ITensorProto => ({
      name: 'w',
      dims: [4],
      dataType: 1,
      dataLocation: 1,
      externalData: [{ key: 'location', value: location }],
    });
    for (const [location, pattern] of [
      ['../secret.bin', /inside the model's folder/],
      ['/etc/passwd', /inside the model's folder/],
      ['short.bin', /ends before byte 16/],
    ] as const) {
      const m = decodeOnnxModel(modelWith(ext(location)), { baseDir: sub });
      const err = await readTensorData(m, m.proto.graph!.initializer![0]!).catch((e: unknown) => e);
      expect(err, location).toBeInstanceOf(OnnxModelError);
      expect((err as OnnxModelError).rule).toBe('external-data');
      expect((err as Error).message).toMatch(pattern);
    }
  });
});

describe('decodeOnnxModel', () => {
  it('rejects bytes that are not a model with a graph', () => {
    expect(() => decodeOnnxModel(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f))).toThrow(
      expect.objectContaining({ rule: 'protobuf' }),
    );
    expect(() => decodeOnnxModel(encodeOnnxModel({ irVersion: 8 }))).toThrow(
      expect.objectContaining({ rule: 'no-graph' }),
    );
  });

  it('reads models with a path so that external data resolve against its folder', async () => {
    const path = join(dir, 'plain.onnx');
    writeFileSync(path, toyModelBytes(CASE, { style: 'named' }));
    const m = await readOnnxModel(path);
    expect(m.baseDir).toBe(dir);
    expect(m.ownsBytes).toBe(true);
    expect(existsSync(path)).toBe(true);
    expect(m.bytes.length).toBe(readFileSync(path).length);
  });
});

describe('onnx.checker', () => {
  it.skipIf(!CHECKER)('accepts every model written above (full_check, inline and external data)', () => {
    checkOnnxFiles(written);
  });
});
