/**
 * A mixed batch reshapes each layer input to (rows, −1, in): with fewer `rows` than batch rows the reshape can still
 * succeed (found by the several-adapters work: 2 rows for a 3-row batch ran and gave row 0 logits off by up to 5).
 * AdapterSession.run must refuse it, naming the input and its batch.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { tinyLlamaPath } from '@vblora/conformance/fixtures';
import { AdapterError } from '@vblora/core';
import { AdapterSession, injectModelFolder } from '@vblora/onnx';
import { QUIET } from './helpers/ort.js';
import { tempDir } from './helpers/tmp.js';

const PRESENT = existsSync(tinyLlamaPath('onnx', 'model.onnx'));
if (!PRESENT && process.env['CI'] === 'true') throw new Error('the tiny-llama fixture is missing');

const int64 = (rows: number, cols: number, v: number): ort.Tensor =>
  new ort.Tensor('int64', new BigInt64Array(rows * cols).fill(BigInt(v)), [rows, cols]);

describe.runIf(PRESENT)('AdapterSession.run: rows must match the batch', () => {
  it('rows of 2 for a 3-row batch: AdapterError naming the input; rows of 3 run', async () => {
    const dir = tempDir('session-rows');
    const out = join(dir, 'hot');
    await injectModelFolder(tinyLlamaPath('adapters', 'vblora-a'), tinyLlamaPath(), out, { hotSwap: true });
    const session = await AdapterSession.create(join(out, 'onnx', 'model.onnx'), { sessionOptions: QUIET });
    try {
      await session.loadAdapter('a', tinyLlamaPath('adapters', 'vblora-a'));
      const batch = 3;
      const feeds: Record<string, ort.Tensor> = {
        input_ids: int64(batch, 4, 5),
        attention_mask: int64(batch, 4, 1),
        position_ids: int64(batch, 4, 0),
      };
      for (let l = 0; l < 2; l++) {
        for (const kv of ['key', 'value'])
          feeds[`past_key_values.${l}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [batch, 2, 0, 16]);
      }
      const err = await session.run(feeds, { rows: ['a', null] }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AdapterError);
      expect((err as Error).message).toMatch(/rows names 2 adapters, but input "input_ids" has a batch of 3/);
      const ok = await session.run(feeds, { rows: ['a', null, 'a'] });
      expect(ok['logits']!.dims[0]).toBe(batch);
    } finally {
      await session.release();
    }
  });
});
