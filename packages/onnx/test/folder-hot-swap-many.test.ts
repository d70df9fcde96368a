/**
 * Several adapters in one hot-swap folder (#15): on the tiny Llama fixture, vblora-a (q, v, gate, up, down) and
 * vblora-b (all seven projections) injected together with `injectModelFolder([a, b], …, { hotSwap: true })` give
 * every module of either a branch; one `AdapterSession` over the fp32 and the q4 model then switches between a, b
 * and none, and one forward step's logits equal those of the static single-adapter folders (and of the fixture's
 * own model for none). Adapter a feeds zeros for k_proj and o_proj, which it lacks.
 *
 * Tolerance: |Δlogit| ≤ 8 float32 ulps of the logit scale (8 · 2⁻²³ · max|logit|, ≈ 1.2e-5 at the fixture's
 * scale of 12.6); the hot-swap branch gathers stacked A/B per row, the static branch uses pre-transposed
 * initializers, so another onnxruntime build may sum in another order. Measured (onnxruntime-node, x64 CPU): 0,
 * bit-identical, fp32 and q4. None vs the base model (and the none row of a mixed batch): exact, tolerance 0.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { tinyLlamaPath } from '@vblora/conformance/fixtures';
import { ConfigError } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import {
  AdapterSession,
  injectAdapterInputs,
  injectModelFolder,
  readInjectionInfo,
  readOnnxModel,
  stackedFeedBytes,
  stackFeeds,
  prepareAdapter,
} from '@vblora/onnx';
import { QUIET } from './helpers/ort.js';
import { tempDir } from './helpers/tmp.js';

const PRESENT =
  existsSync(tinyLlamaPath('onnx', 'model.onnx')) && existsSync(tinyLlamaPath('expected', 'generations.json'));
if (!PRESENT && process.env['CI'] === 'true') throw new Error('the tiny-llama fixture is missing');

const A = tinyLlamaPath('adapters', 'vblora-a');
const B = tinyLlamaPath('adapters', 'vblora-b');
const ULPS = 8;

interface Case {
  readonly input_ids: number[][];
  readonly attention_mask: number[][];
}

const int64 = (rows: number[][]): ort.Tensor =>
  new ort.Tensor(
    'int64',
    BigInt64Array.from(rows.flat(), (v) => BigInt(v)),
    [rows.length, rows[0]!.length],
  );

/** The model's inputs for one forward step over the whole prompt (empty cache). */
function stepFeeds(c: Case): Record<string, ort.Tensor> {
  const config = JSON.parse(readFileSync(tinyLlamaPath('config.json'), 'utf8')) as Record<string, number>;
  const layers = config['num_hidden_layers']!;
  const kvHeads = config['num_key_value_heads'] ?? config['num_attention_heads']!;
  const headDim = config['head_dim'] ?? config['hidden_size']! / config['num_attention_heads']!;
  const batch = c.input_ids.length;
  const positions = c.attention_mask.map((r) => {
    let n = -1;
    return r.map((m) => (m === 0 ? 1 : ++n));
  });
  const feeds: Record<string, ort.Tensor> = {
    input_ids: int64(c.input_ids),
    attention_mask: int64(c.attention_mask),
    position_ids: int64(positions),
  };
  for (let l = 0; l < layers; l++) {
    for (const kv of ['key', 'value'])
      feeds[`past_key_values.${l}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [
        batch,
        kvHeads,
        0,
        headDim,
      ]);
  }
  return feeds;
}

async function plainLogits(model: string, feeds: Record<string, ort.Tensor>): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model, QUIET);
  try {
    return Float32Array.from((await session.run(feeds))['logits']!.data as Float32Array);
  } finally {
    await session.release();
  }
}

function expectClose(got: Float32Array, want: Float32Array, what: string, ulps = ULPS): void {
  expect(got.length, what).toBe(want.length);
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]!));
    worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  }
  expect(worst, `${what}: max |Δlogit| (logit scale ${scale})`).toBeLessThanOrEqual(ulps * 2 ** -23 * scale);
}

describe.runIf(PRESENT)('hot-swap folders for several adapters (tiny Llama)', () => {
  const dir = PRESENT ? tempDir('hot-swap-many') : '';
  const gen = PRESENT
    ? (JSON.parse(readFileSync(tinyLlamaPath('expected', 'generations.json'), 'utf8')) as {
        inputs: Record<'single' | 'batch', Case>;
      })
    : null;

  it('hot-swap-many/logits: a, b and none from one folder equal the static folders and the base (fp32, q4)', async () => {
    const hot = join(dir, 'hot-ab');
    const report = await injectModelFolder([A, B], tinyLlamaPath(), hot, { hotSwap: true });
    expect(report.variants.map((v) => v.action)).toEqual(['injected', 'injected', 'injected']);
    const staticA = join(dir, 'static-a');
    const staticB = join(dir, 'static-b');
    await injectModelFolder(A, tinyLlamaPath(), staticA);
    await injectModelFolder(B, tinyLlamaPath(), staticB);
    const feeds = stepFeeds(gen!.inputs.batch);
    for (const file of ['model.onnx', 'model_q4.onnx']) {
      const info = readInjectionInfo((await readOnnxModel(join(hot, 'onnx', file))).proto)!;
      const kinds = new Set(info.modules.map((m) => m.path.split('.').at(-1)));
      expect([...kinds].sort(), file).toEqual([
        'down_proj',
        'gate_proj',
        'k_proj',
        'o_proj',
        'q_proj',
        'up_proj',
        'v_proj',
      ]);
      const session = await AdapterSession.create(join(hot, 'onnx', file), { sessionOptions: QUIET });
      try {
        await session.loadAdapter('a', A);
        await session.loadAdapter('b', B);
        const logits = async (adapter: string | null) =>
          Float32Array.from((await session.run(feeds, { adapter }))['logits']!.data as Float32Array);
        expectClose(await logits('a'), await plainLogits(join(staticA, 'onnx', file), feeds), `${file} adapter a`);
        expectClose(await logits('b'), await plainLogits(join(staticB, 'onnx', file), feeds), `${file} adapter b`);
        expectClose(await logits(null), await plainLogits(tinyLlamaPath('onnx', file), feeds), `${file} none`, 0);
        // mixed batch (three rows): row 0 with a, row 1 with b, row 2 with none, each equal to its own folder's row
        const mixed = Float32Array.from(
          (await session.run(feeds, { rows: ['a', 'b', null] }))['logits']!.data as Float32Array,
        );
        const third = mixed.length / 3;
        const want = [join(staticA, 'onnx', file), join(staticB, 'onnx', file), tinyLlamaPath('onnx', file)];
        for (let row = 0; row < 3; row++) {
          const w = (await plainLogits(want[row]!, feeds)).subarray(row * third, (row + 1) * third);
          expectClose(
            mixed.subarray(row * third, (row + 1) * third),
            w,
            `${file} row ${row} of [a, b, none]`,
            row === 2 ? 0 : ULPS,
          );
        }
      } finally {
        await session.release();
      }
    }
  });

  it('hot-swap-many/zeros: an adapter lacking injected modules stacks zeros there (alone and beside another)', async () => {
    const model = await readOnnxModel(tinyLlamaPath('onnx', 'model.onnx'));
    const a = (await readAdapterDir(A)).adapter;
    const b = (await readAdapterDir(B)).adapter;
    const { info } = await injectAdapterInputs(model, { adapters: [a, b] });
    const pa = await prepareAdapter(info, 'a', a);
    const pb = await prepareAdapter(info, 'b', b);
    const k = info.modules.find((m) => m.path.endsWith('k_proj'))!;
    expect(a.modules.has(k.path)).toBe(false);
    const inputs = k.inputs as { A: string; B: string };
    for (const slots of [[pa], [pa, pb], [null, pa]]) {
      const feeds = stackFeeds(info, slots);
      const j = slots.indexOf(pa);
      const fa = feeds.get(inputs.A)!;
      const per = fa.data.length / slots.length;
      expect([...fa.data.subarray(j * per, (j + 1) * per)].every((v) => v === 0)).toBe(true);
      expect(stackedFeedBytes(info, slots)).toBeGreaterThanOrEqual(
        [...feeds.values()].reduce((s, f) => s + f.data.byteLength, 0),
      );
    }
    const both = stackFeeds(info, [pa, pb]).get(inputs.A)!;
    expect([...both.data.subarray(both.data.length / 2)].some((v) => v !== 0)).toBe(true);
  });

  it('hot-swap-many/static: several adapters without hot swap are a ConfigError, nothing written', async () => {
    const out = join(dir, 'static-ab');
    const err = await injectModelFolder([A, B], tinyLlamaPath(), out).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe('adapters');
    expect(existsSync(out)).toBe(false);
    const model = await readOnnxModel(tinyLlamaPath('onnx', 'model.onnx'));
    const a = (await readAdapterDir(A)).adapter;
    const b = (await readAdapterDir(B)).adapter;
    await expect(injectAdapterInputs(model, { adapters: [a, b], variant: 'static' })).rejects.toBeInstanceOf(
      ConfigError,
    );
  });
});
