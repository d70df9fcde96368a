/**
 * Merging one quantized `.onnx` file (#15): the library calls refuse it before anything is composed or written,
 * with the reason (QUANTIZED_MERGE_REASON), as the folder merge and the CLI do; `allowQuantizedMerge` requantizes.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tinyLlamaPath } from '@vblora/conformance/fixtures';
import { UnsupportedError } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { mergeOnnxFile, mergeOnnxModel, QUANTIZED_MERGE_REASON, readOnnxModel } from '@vblora/onnx';
import { tempDir } from './helpers/tmp.js';

const PRESENT = existsSync(tinyLlamaPath('onnx', 'model_q4.onnx'));
if (!PRESENT && process.env['CI'] === 'true') throw new Error('the tiny-llama fixture is missing');

describe.skipIf(!PRESENT)('merging a single quantized ONNX file', () => {
  const out = PRESENT ? tempDir('merge-quantized-file') : '';
  const adapter = tinyLlamaPath('adapters', 'vblora-a');

  for (const file of ['model_q4.onnx', 'model_int8.onnx']) {
    it(`${file}: mergeOnnxFile and mergeOnnxModel refuse it up front, writing nothing`, async () => {
      const target = join(out, `refused-${file}`);
      const err = await mergeOnnxFile(adapter, tinyLlamaPath('onnx', file), target).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnsupportedError);
      expect((err as Error).message).toContain(QUANTIZED_MERGE_REASON);
      expect((err as Error).message).toMatch(/model\.layers\.0\.mlp\.down_proj \((MatMulNBits|MatMulInteger)\)/);
      const { adapter: loaded } = await readAdapterDir(adapter);
      await expect(
        mergeOnnxModel(await readOnnxModel(tinyLlamaPath('onnx', file)), loaded, target),
      ).rejects.toBeInstanceOf(UnsupportedError);
      expect(existsSync(target)).toBe(false);
    });
  }

  it('allowQuantizedMerge requantizes every adapted layer and reports each', async () => {
    const target = join(out, 'requantized_q4.onnx');
    const report = await mergeOnnxFile(adapter, tinyLlamaPath('onnx', 'model_q4.onnx'), target, {
      allowQuantizedMerge: true,
    });
    const { adapter: loaded } = await readAdapterDir(adapter);
    expect(report.requantized.map((r) => r.module).sort()).toEqual([...loaded.modules.keys()].sort());
    expect(existsSync(target)).toBe(true);
  });
});
