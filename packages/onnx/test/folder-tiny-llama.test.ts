/**
 * The tiny Llama fixture (a real transformers.js folder with fp32, q4 and int8 variants, two PEFT-trained
 * adapters and PEFT's own greedy generations): folders written by `injectModelFolder` and `mergeModelFolder`
 * generate PEFT's tokens, run as transformers.js runs them (input_ids, attention_mask, position_ids and a
 * past-key-values cache, one token per step). Accuracy: token ids exact (the fixture's smallest top-1/top-2 logit
 * margin is recorded in its summary). Runs when the fixture is present.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { injectModelFolder, mergeModelFolder } from '@vblora/onnx';
import { QUIET } from './helpers/ort.js';
import { tempDir } from './helpers/tmp.js';

const FIXTURE = fileURLToPath(new URL('../../conformance/fixtures/tiny-llama/', import.meta.url));
const PRESENT =
  existsSync(join(FIXTURE, 'onnx', 'model.onnx')) && existsSync(join(FIXTURE, 'expected', 'generations.json'));

interface Case {
  readonly input_ids: number[][];
  readonly attention_mask: number[][];
}
interface Generations {
  readonly max_new_tokens: number;
  readonly inputs: Record<'single' | 'batch', Case>;
  readonly runs: Record<string, Record<'single' | 'batch', { readonly new_token_ids: number[][] }>>;
}

const int64 = (rows: number[][]): ort.Tensor =>
  new ort.Tensor(
    'int64',
    BigInt64Array.from(rows.flat(), (v) => BigInt(v)),
    [rows.length, rows[0]!.length],
  );

/** Greedy generation as transformers.js runs a decoder: the whole prompt first, then one token per step with the cache. */
async function greedy(modelPath: string, c: Case, steps: number): Promise<number[][]> {
  const config = JSON.parse(readFileSync(join(FIXTURE, 'config.json'), 'utf8')) as Record<string, number>;
  const layers = config['num_hidden_layers']!;
  const kvHeads = config['num_key_value_heads'] ?? config['num_attention_heads']!;
  const headDim = config['head_dim'] ?? config['hidden_size']! / config['num_attention_heads']!;
  const session = await ort.InferenceSession.create(modelPath, QUIET);
  try {
    const batch = c.input_ids.length;
    let ids = c.input_ids;
    let mask = c.attention_mask.map((r) => [...r]);
    // positions count the real tokens of each row (left padding gets 1, as transformers does)
    let positions = mask.map((r) => {
      let n = -1;
      return r.map((m) => (m === 0 ? 1 : ++n));
    });
    const past = new Map<string, ort.Tensor>();
    for (let l = 0; l < layers; l++) {
      for (const kv of ['key', 'value'])
        past.set(
          `past_key_values.${l}.${kv}`,
          new ort.Tensor('float32', new Float32Array(0), [batch, kvHeads, 0, headDim]),
        );
    }
    const out: number[][] = Array.from({ length: batch }, () => []);
    for (let step = 0; step < steps; step++) {
      const feeds: Record<string, ort.Tensor> = {
        input_ids: int64(ids),
        attention_mask: int64(mask),
        position_ids: int64(positions),
        ...Object.fromEntries(past),
      };
      const result = await session.run(feeds);
      const logits = result['logits']!;
      const [, seq, vocab] = logits.dims as [number, number, number];
      const data = logits.data as Float32Array;
      const next = Array.from({ length: batch }, (_, b) => {
        const row = data.subarray((b * seq + seq - 1) * vocab, (b * seq + seq) * vocab);
        let best = 0;
        for (let v = 1; v < vocab; v++) if (row[v]! > row[best]!) best = v;
        return best;
      });
      next.forEach((t, b) => out[b]!.push(t));
      for (let l = 0; l < layers; l++) {
        for (const kv of ['key', 'value']) past.set(`past_key_values.${l}.${kv}`, result[`present.${l}.${kv}`]!);
      }
      ids = next.map((t) => [t]);
      mask = mask.map((r) => [...r, 1]);
      positions = positions.map((r) => [r[r.length - 1]! + 1]);
    }
    return out;
  } finally {
    await session.release();
  }
}

describe.runIf(PRESENT)('tiny-llama fixture: folders generate PEFT’s tokens', () => {
  const dir = PRESENT ? tempDir('folder-tiny-llama') : '';
  let gen: Generations;
  beforeAll(() => {
    gen = JSON.parse(readFileSync(join(FIXTURE, 'expected', 'generations.json'), 'utf8')) as Generations;
  });
  const expectTokens = async (model: string, run: string) => {
    for (const c of ['single', 'batch'] as const) {
      expect(await greedy(model, gen.inputs[c], gen.max_new_tokens), `${run} ${c}`).toEqual(
        gen.runs[run]![c].new_token_ids,
      );
    }
  };

  it('tiny-llama/base: the fixture’s own folder generates the base runs (the generation loop is right)', async () => {
    await expectTokens(join(FIXTURE, 'onnx', 'model.onnx'), 'fp32.base');
  });

  for (const name of ['vblora-a', 'vblora-b']) {
    it(`tiny-llama/inject-${name}: the injected folder generates PEFT’s tokens with fp32, q4 and int8`, async () => {
      const out = join(dir, `inject-${name}`);
      await injectModelFolder(join(FIXTURE, 'adapters', name), FIXTURE, out);
      for (const [file, run] of [
        ['model.onnx', 'fp32'],
        ['model_q4.onnx', 'q4'],
        ['model_int8.onnx', 'int8'],
      ] as const) {
        await expectTokens(join(out, 'onnx', file), `${run}.${name}`);
      }
    });
  }

  it('tiny-llama/merge: the merged fp32 model generates the tokens of PEFT’s merge_and_unload', async () => {
    const out = join(dir, 'merge-a');
    const report = await mergeModelFolder(join(FIXTURE, 'adapters', 'vblora-a'), FIXTURE, out, {
      skipUnsupported: true,
    });
    expect(report.variants.map((v) => [v.file, v.action])).toEqual([
      ['model.onnx', 'merged'],
      ['model_int8.onnx', 'skipped'],
      ['model_q4.onnx', 'skipped'],
    ]);
    await expectTokens(join(out, 'onnx', 'model.onnx'), 'fp32.merged-vblora-a');
  });

  it('tiny-llama/requantize: requantizing the q4 and int8 models reports the error it adds, module by module', async () => {
    const out = join(dir, 'requantize-a');
    const report = await mergeModelFolder(join(FIXTURE, 'adapters', 'vblora-a'), FIXTURE, out, {
      allowQuantizedMerge: true,
    });
    for (const v of report.variants.filter((x) => x.action === 'requantized')) {
      expect(v.requantized.length).toBeGreaterThan(0);
      for (const r of v.requantized) {
        expect(r.maxAbsError).toBeGreaterThan(0);
        expect(r.deltaRelError).toBeGreaterThan(0);
      }
    }
  });
});
