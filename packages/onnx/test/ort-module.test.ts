/**
 * The onnxruntime module is a value passed in: `AdapterSession` runs on whatever module it is given (here a
 * wrapper of onnxruntime-node that counts its sessions, and one shaped like onnxruntime before 1.22, whose sessions
 * have no `inputMetadata`), and the browser entry, which has no default module, says what to pass.
 */
import * as ortNode from 'onnxruntime-node';
import { tensor, toF32, UnsupportedError } from '@vblora/core';
import { AdapterSession, decodeOnnxModel, encodeOnnxModel, injectAdapterInputs, type OrtModule } from '@vblora/onnx';
import * as web from '@vblora/onnx/web';
import { describe, expect, it } from 'vitest';
import { readGolden, toyModelBytes } from './fixtures/toy-models.js';
import { goldenAdapter } from './helpers/golden.js';
import { QUIET } from './helpers/ort.js';

const CASE = 'llama_f32_vl16_nv64_top2';

/** onnxruntime-node behind another module object; `old` hides `inputMetadata` as onnxruntime < 1.22 has none. */
function wrapped(old: boolean): OrtModule & { sessions: number } {
  const m = {
    sessions: 0,
    Tensor: ortNode.Tensor,
    InferenceSession: {
      create: async (model: Uint8Array | string, options?: object) => {
        m.sessions += 1;
        const s =
          typeof model === 'string'
            ? await ortNode.InferenceSession.create(model, options)
            : await ortNode.InferenceSession.create(model, options);
        if (!old) return s;
        return {
          inputNames: s.inputNames,
          outputNames: s.outputNames,
          run: (f: Parameters<typeof s.run>[0]) => s.run(f),
          release: () => s.release(),
        };
      },
    },
  };
  return m as OrtModule & { sessions: number };
}

async function injected(): Promise<Uint8Array> {
  const adapter = await goldenAdapter(CASE);
  return encodeOnnxModel(
    (await injectAdapterInputs(decodeOnnxModel(toyModelBytes(CASE, { style: 'torch' })), { adapter })).model.proto,
  );
}

describe('AdapterSession on an onnxruntime module passed in', () => {
  it('runs on the module it is given, in Node and through the browser entry, with the same outputs', async () => {
    const model = await injected();
    const adapter = await goldenAdapter(CASE);
    const x = toF32(readGolden(CASE, 'expected.safetensors').get('input.x')!);
    const feeds = { x: new ortNode.Tensor('float32', x.data, [...x.shape]) };
    const ort = wrapped(false);
    const outputs: Float32Array[] = [];
    for (const create of [
      () => AdapterSession.create(model, { ort, sessionOptions: QUIET }),
      () => web.AdapterSession.create(model, { ort, sessionOptions: QUIET }),
    ]) {
      const s = await create();
      await s.loadAdapter('a', adapter);
      outputs.push((await s.run(feeds, { adapter: 'a' }))['y']!.data as Float32Array);
      await s.release();
    }
    expect(ort.sessions).toBe(2);
    expect(outputs[1]).toEqual(outputs[0]);
  });

  it('onnxruntime before 1.22 (no inputMetadata): one adapter per run works, a mixed batch is refused', async () => {
    const s = await web.AdapterSession.create(await injected(), { ort: wrapped(true), sessionOptions: QUIET });
    await s.loadAdapter('a', await goldenAdapter(CASE));
    const x = toF32(readGolden(CASE, 'expected.safetensors').get('input.x')!);
    const feeds = { x: new ortNode.Tensor('float32', x.data, [...x.shape]) };
    expect((await s.run(feeds, { adapter: 'a' }))['y']!.dims).toEqual([...x.shape.slice(0, -1), expect.any(Number)]);
    await expect(s.run(feeds, { rows: ['a', null] })).rejects.toThrow(UnsupportedError);
    await s.release();
  });

  it('the browser entry has no default module: a ConfigError says what to pass', async () => {
    const noOrt = {} as never;
    await expect(web.AdapterSession.create(await injected(), noOrt)).rejects.toMatchObject({
      name: 'ConfigError',
      field: 'ort',
    });
    await expect(web.runOnnxModel(new Uint8Array(0), {}, noOrt)).rejects.toMatchObject({ name: 'ConfigError' });
    expect(() => web.toOrtTensor(tensor('f32', [1], new Float32Array(1)), noOrt)).toThrow(
      /needs an onnxruntime module: pass \{ ort \}/,
    );
  });
});
