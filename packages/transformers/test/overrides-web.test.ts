/**
 * The universal entry reads the base values of overridable tensors by walking the model file: hand-built models
 * (field order, typed fields, 16-bit floats, external data beside a URL) give the values the Node entry decodes from
 * the same file, and every hostile file, location or budget is refused with a typed error before anything it sizes
 * is read. Accuracy: exact (bit for bit against the Node entry).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ResourceLimitError, type HostTensor } from '@vblora/core';
import { encodeOnnxModel, INJECTION_FORMAT, INJECTION_KEY, type InjectedOverride, type onnx } from '@vblora/onnx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webModelFile } from '../src/attach-web.js';
import { bytesSource, ModelSessionError, readModelInjection } from '../src/index.js';
import { overrideDefaultsNode } from '../src/override-defaults-node.js';
import { modelSpan, walkFields, type ProtoField } from '../src/proto-fields.js';
import { serveFolder, type FolderServer } from './helpers/http-folder.js';
import { tempDir } from './helpers/tmp.js';

const DEFAULT = 'vblora.default.head.weight';
const HEAD: InjectedOverride = {
  key: 'head.weight',
  input: 'head.weight',
  default: DEFAULT,
  dtype: 'f32',
  shape: [2, 3],
  transposed: false,
};
const VALUES = Float32Array.of(1, -2, 3.5, 0, 1e-30, -7.25);

const description = (overrides: readonly InjectedOverride[]): onnx.IStringStringEntryProto => ({
  key: INJECTION_KEY,
  value: JSON.stringify({
    format: INJECTION_FORMAT,
    variant: 'lowrank',
    rowAdapterInput: 'vblora.row_adapter',
    bankInput: null,
    modules: [],
    overrides,
  }),
});

/** A model whose graph holds `initializer`, described as overriding `overrides`. */
const model = (initializer: onnx.ITensorProto[], overrides: readonly InjectedOverride[] = [HEAD]): Uint8Array =>
  encodeOnnxModel({
    irVersion: 8,
    graph: { name: 'g', initializer, node: [{ opType: 'Identity', input: ['x'], output: ['y'] }] },
    metadataProps: [description(overrides)],
  });

const raw = (a: Float32Array | Uint16Array): Uint8Array =>
  new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));

// protobuf by hand, for layouts onnx-proto never writes
const vint = (v: number): number[] => {
  const out: number[] = [];
  for (; v >= 0x80; v = Math.floor(v / 128)) out.push((v % 128) | 0x80);
  out.push(v);
  return out;
};
const cat = (...parts: (Uint8Array | number[])[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));
const ld = (field: number, body: Uint8Array | number[]): Uint8Array =>
  cat(vint(field * 8 + 2), vint(body.length), body);
const vf = (field: number, v: number): Uint8Array => cat(vint(field * 8), vint(v));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const metadata = (overrides: readonly InjectedOverride[] = [HEAD]): Uint8Array => {
  const e = description(overrides);
  return ld(14, cat(ld(1, utf8(e.key!)), ld(2, utf8(e.value!))));
};

const defaultsOf = async (ref: Uint8Array | string, budget?: number): Promise<ReadonlyMap<string, HostTensor>> =>
  (await readModelInjection(webModelFile(ref), budget)).defaults;

const refusal = async (p: Promise<unknown>): Promise<ModelSessionError> => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelSessionError);
  expect((err as ModelSessionError).rule).toBe('model-file');
  return err as ModelSessionError;
};

/** The size of the first initializer's TensorProto. */
async function initializerBytes(bytes: Uint8Array): Promise<number> {
  const source = bytesSource(bytes);
  const first = async (span: Pick<ProtoField, 'start' | 'end'>, field: number): Promise<ProtoField> => {
    for await (const f of walkFields(source, { ...modelSpan(source), from: span.start, to: span.end }))
      if (f.field === field) return f;
    throw new Error(`no field ${field}`);
  };
  const init = await first(await first({ start: 0, end: bytes.length }, 7), 5);
  return init.end - init.start;
}

/** Bit-level view of a tensor, to compare values exactly (NaN, −0 and subnormals included). */
const bits = (t: HostTensor | undefined) =>
  t && { dtype: t.dtype, shape: t.shape, bytes: raw(t.data as Float32Array | Uint16Array) };

/** xorshift32, seeded: the seed is in each case's name. */
function garbage(seed: number, n: number): Uint8Array {
  let x = seed;
  return Uint8Array.from({ length: n }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x & 0xff;
  });
}

describe('base values read by walking a model given as bytes', () => {
  const f16 = Uint16Array.of(0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x3555); // 1, -2, max, subnormal, -0, 1/3
  const layouts: Record<string, Uint8Array> = {
    raw_data: model([{ name: DEFAULT, dims: [2, 3], dataType: 1, rawData: raw(VALUES) }]),
    float_data: model([{ name: DEFAULT, dims: [2, 3], dataType: 1, floatData: [...VALUES] }]),
    'f16 raw_data, fed as f32': model([{ name: DEFAULT, dims: [2, 3], dataType: 10, rawData: raw(f16) }]),
    'f16 int32_data, fed as f32': model([{ name: DEFAULT, dims: [2, 3], dataType: 10, int32Data: [...f16] }]),
    'bf16 raw_data, fed as f32': model([{ name: DEFAULT, dims: [2, 3], dataType: 16, rawData: raw(f16) }]),
    'f16 raw_data, fed as f16': model(
      [{ name: DEFAULT, dims: [2, 3], dataType: 10, rawData: raw(f16) }],
      [{ ...HEAD, dtype: 'f16' }],
    ),
    'the last of two initializers of one name': model([
      { name: DEFAULT, dims: [2, 3], dataType: 1, rawData: raw(new Float32Array(6)) },
      { name: DEFAULT, dims: [2, 3], dataType: 1, rawData: raw(VALUES) },
    ]),
    'unpacked float_data': cat(
      ld(
        7,
        ld(
          5,
          cat(
            ld(8, utf8(DEFAULT)),
            vf(1, 2),
            vf(1, 3),
            vf(2, 1),
            ...[...VALUES].map((v) => cat([0x25], raw(Float32Array.of(v)))),
          ),
        ),
      ),
      metadata(),
    ),
    'unpacked f16 int32_data': cat(
      ld(7, ld(5, cat(ld(8, utf8(DEFAULT)), ld(1, [2, 3]), vf(2, 10), ...[...f16].map((v) => vf(5, v))))),
      metadata(),
    ),
    // name after raw_data, unpacked dims, beside a decoy of the same name length and a node
    'fields in any order': cat(
      ld(
        7,
        cat(
          ld(1, cat(ld(1, utf8('x')), ld(2, utf8('y')), ld(4, utf8('Identity')))),
          ld(5, cat(vf(2, 1), ld(8, utf8(DEFAULT.replace('head', 'hexd'))), vf(1, 6), ld(9, raw(new Float32Array(6))))),
          ld(5, cat(ld(9, raw(VALUES)), vf(1, 2), vf(1, 3), ld(8, utf8(DEFAULT)), vf(2, 1))),
        ),
      ),
      metadata(),
    ),
  };

  for (const [name, bytes] of Object.entries(layouts)) {
    it(`${name}: the Node entry's values, bit for bit, in fresh buffers`, async () => {
      const web = await defaultsOf(bytes);
      const node = await overrideDefaultsNode(
        bytes,
        (await readModelInjection(webModelFile(bytes))).info.overrides,
        2 ** 30,
      );
      expect(bits(web.get('head.weight'))).toEqual(bits(node.get('head.weight')));
      expect([...web.keys()]).toEqual(['head.weight']);
      expect(web.get('head.weight')!.data.buffer).not.toBe(bytes.buffer);
    });
  }

  it('f32 raw_data: exactly the stored values', async () => {
    expect((await defaultsOf(layouts['raw_data']!)).get('head.weight')).toEqual({
      dtype: 'f32',
      shape: [2, 3],
      data: VALUES,
    });
  });

  it('refuses a missing or malformed initializer with ModelSessionError model-file naming it', async () => {
    const cases: [onnx.ITensorProto[], RegExp, InjectedOverride?][] = [
      [
        [{ name: 'other', dims: [2, 3], dataType: 1, rawData: raw(VALUES) }],
        /the model lacks vblora\.default\.head\.weight, the base value of head\.weight/,
      ],
      [
        [{ name: DEFAULT, dims: [2, 3], dataType: 1, rawData: new Uint8Array(5) }],
        /head\.weight.*raw_data has 5 bytes/,
      ],
      [[{ name: DEFAULT, dims: [2, 3], dataType: 7, rawData: new Uint8Array(48) }], /data type 7, not a float type/],
      [[{ name: DEFAULT, dims: [2, 3], dataType: 1, floatData: [1, 2] }], /float_data has 2 values, its shape needs 6/],
      [[{ name: DEFAULT, dims: [2, 3], dataType: 10, int32Data: [1] }], /int32_data has 1 values/],
      [[{ name: DEFAULT, dims: [2 ** 40, 2 ** 20], dataType: 1 }], /is not a valid tensor size/],
      [
        [{ name: DEFAULT, dims: new Array<number>(65).fill(1), dataType: 1, rawData: raw(Float32Array.of(1)) }],
        /more than 64 dimensions/,
      ],
      [
        [{ name: DEFAULT, dims: [2, 3], dataType: 1, rawData: raw(VALUES) }],
        /is f32, but input head\.weight takes f16/,
        { ...HEAD, dtype: 'f16' },
      ],
      [
        [
          {
            name: DEFAULT,
            dims: [2, 3],
            dataType: 1,
            dataLocation: 1,
            externalData: [{ key: 'location', value: 'w.bin' }],
          },
        ],
        /model given as bytes.*URL/,
      ],
    ];
    for (const [inits, why, o] of cases) {
      const err = await refusal(defaultsOf(model(inits, [o ?? HEAD])));
      expect(err.message).toMatch(why);
      expect(err.message).toMatch(/^the model file: /);
    }
  });

  it('checks the memory budget before reading: one value over it, or the values read so far with the next', async () => {
    const one = model([{ name: DEFAULT, dims: [2, 3], dataType: 1, rawData: raw(VALUES) }]);
    const err = await defaultsOf(one, 23).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceLimitError);
    expect((err as ResourceLimitError).limit).toBe('maxMemory');
    // 100 bytes hold one 24-byte value with its 60-byte message, not a second one besides the first
    expect((await defaultsOf(one, 100)).size).toBe(1);
    const second = { ...HEAD, key: 'tail.weight', input: 'tail.weight', default: 'vblora.default.tail.weight' };
    const two = model(
      [
        { name: DEFAULT, dims: [2, 3], dataType: 1, rawData: raw(VALUES) },
        { name: second.default, dims: [2, 3], dataType: 1, rawData: raw(VALUES) },
      ],
      [HEAD, second],
    );
    await expect(defaultsOf(two, 100)).rejects.toBeInstanceOf(ResourceLimitError);
    expect((await defaultsOf(two)).size).toBe(2);
  });

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`garbage-${seed}: a graph of random bytes, or an initializer of random fields, is a ModelSessionError`, async () => {
      const junk = garbage(seed, 4096);
      await refusal(defaultsOf(cat(ld(7, junk), metadata())));
      await refusal(defaultsOf(cat(ld(7, ld(5, cat(ld(8, utf8(DEFAULT)), junk))), metadata())));
    });
  }

  it('a truncated graph is a ModelSessionError', async () => {
    const graph = ld(5, cat(ld(8, utf8(DEFAULT)), vf(1, 6), vf(2, 1), ld(9, raw(VALUES))));
    const err = await refusal(defaultsOf(cat(ld(7, graph.subarray(0, graph.length - 10)), metadata())));
    expect(err.message).toMatch(/runs past the end of the graph/);
  });
});

describe('base values of a model given by URL, external data fetched from beside it', () => {
  const dir = tempDir('overrides-web-url');
  let server: FolderServer;
  const url = (manner: 'range' | 'plain', path: string): string => `${server.origin}/${manner}/${path}`;
  const external = (location: string, entries: Record<string, string> = {}): Uint8Array => {
    const externalData = Object.entries({ location, offset: '8', ...entries }).map(([key, value]) => ({ key, value }));
    return model([{ name: DEFAULT, dims: [2, 3], dataType: 1, dataLocation: 1, externalData }]);
  };

  beforeAll(async () => {
    mkdirSync(join(dir, 'm', 'sub'), { recursive: true });
    writeFileSync(join(dir, 'm', 'sub', 'w.bin'), cat(new Uint8Array(8).fill(0xee), raw(VALUES), new Uint8Array(100)));
    writeFileSync(join(dir, 'm', 'short.bin'), cat(new Uint8Array(8), raw(VALUES).subarray(0, 20)));
    writeFileSync(join(dir, 'm', 'model.onnx'), external('sub/w.bin', { length: '24' }));
    writeFileSync(
      join(dir, 'm', 'inline.onnx'),
      model([{ name: DEFAULT, dims: [2, 3], dataType: 1, rawData: raw(VALUES) }]),
    );
    writeFileSync(join(dir, 'm', 'short.onnx'), external('short.bin'));
    writeFileSync(join(dir, 'm', 'far.onnx'), external('short.bin', { offset: '4096' }));
    writeFileSync(join(dir, 'm', 'length.onnx'), external('sub/w.bin', { length: '20' }));
    server = await serveFolder(dir);
  });
  afterAll(async () => {
    await server?.close();
  });

  for (const manner of ['range', 'plain'] as const) {
    it(`${manner === 'range' ? 'a Range server' : 'a server that ignores Range'}: inline and external values equal the Node entry's`, async () => {
      for (const file of ['inline.onnx', 'model.onnx']) {
        const web = await defaultsOf(url(manner, `m/${file}`));
        const node = await overrideDefaultsNode(join(dir, 'm', file), [HEAD], 2 ** 30);
        expect(bits(web.get('head.weight'))).toEqual(bits(node.get('head.weight')));
        expect(web.get('head.weight')!.data).toEqual(VALUES);
      }
      // the external tensor's bytes alone were asked for
      expect(server.requests).toContain('/m/sub/w.bin bytes=8-31');
    });
  }

  it('refuses locations outside the model folder before fetching anything but the model', async () => {
    for (const location of [
      '../x.bin',
      '/etc/hosts',
      'sub/../../x.bin',
      'http://127.0.0.1:9/x',
      'file:///etc/hosts',
      'C:\\x.bin',
      'sub//w.bin',
    ]) {
      writeFileSync(join(dir, 'm', 'hostile.onnx'), external(location));
      server.requests.length = 0;
      const err = await refusal(defaultsOf(url('range', 'm/hostile.onnx')));
      expect(err.message).toContain(DEFAULT);
      expect(err.message).toMatch(/only a relative path inside the model's folder/);
      expect(server.requests.every((r) => r.startsWith('/m/hostile.onnx '))).toBe(true);
    }
  });

  it("refuses an external file that ends early, a declared length that is not the tensor's, and a missing file", async () => {
    for (const manner of ['range', 'plain'] as const) {
      expect((await refusal(defaultsOf(url(manner, 'm/short.onnx')))).message).toMatch(
        /short\.bin ends before byte 32/,
      );
    }
    expect((await refusal(defaultsOf(url('range', 'm/far.onnx')))).message).toMatch(/answered 416/);
    expect((await refusal(defaultsOf(url('range', 'm/length.onnx')))).message).toMatch(
      /length 20 does not match .* \(24 bytes\)/,
    );
    writeFileSync(join(dir, 'm', 'missing.onnx'), external('nowhere.bin'));
    expect((await refusal(defaultsOf(url('range', 'm/missing.onnx')))).message).toMatch(/nowhere\.bin .*answered 404/);
  });

  it('the budget is checked before the external file is fetched: just below the least that reads it, nothing is', async () => {
    const fits = async (budget: number): Promise<boolean> =>
      defaultsOf(url('range', 'm/model.onnx'), budget).then(
        () => true,
        (e: unknown) => {
          if (!(e instanceof ResourceLimitError)) throw e;
          return false;
        },
      );
    let [lo, hi] = [0, 4096]; // lo fails, hi fits
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await fits(mid)) hi = mid;
      else lo = mid;
    }
    expect(hi).toBe((await initializerBytes(readFileSync(join(dir, 'm', 'model.onnx')))) + 24); // its TensorProto, then its data
    server.requests.length = 0;
    expect(await fits(hi - 1)).toBe(false);
    expect(server.requests.some((r) => r.includes('w.bin'))).toBe(false);
  });
});
