import { it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { compareTensors, toF32, tensor } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { PEFT_GOLDEN_CASES, peftGoldenPath } from '@vblora/conformance';
import { injectAdapterInputs, writeOnnxModel, AdapterSession, decodeOnnxModel } from '@vblora/onnx';
import { readGolden, toyModelBytes } from '../fixtures/toy-models.js';
import { checkOnnxFile } from '../helpers/checker.js';
const dir = mkdtempSync(join(tmpdir(), 'vbl-'));
for (const c of ['llama_f32_vl32_nv300_top3_regex', 'llama_bf16_vl16_nv256_top2_layer1_bias'] as const) for (const style of ['torch', 'named'] as const) for (const variant of ['lowrank', 'topk'] as const) {
it(`${c} ${style} ${variant}`, async () => {
  const e = readGolden(c, 'expected.safetensors');
  const model = decodeOnnxModel(toyModelBytes(c, { style }));
  const { adapter } = await readAdapterDir(peftGoldenPath(c, 'adapter_full'));
  const inj = await injectAdapterInputs(model, { adapter, variant });
  const out = join(dir, `${c}-${style}-${variant}.onnx`);
  await writeOnnxModel(inj.model, out);
  checkOnnxFile(out);
  const s = await AdapterSession.create(out);
  await s.loadAdapter('a', adapter);
  const x = toF32(e.get('input.x')!);
  const feeds = { x: new ort.Tensor('float32', x.data, [...x.shape]) };
  const ya = (await s.run(feeds, { adapter: 'a' }))['y']!;
  const yb = (await s.run(feeds, {}))['y']!;
  const ym = adapter.extraTensors.size > 0 ? ya : (await s.run(feeds, { rows: ['a', null] }))['y']!;
  const r1 = compareTensors(tensor('f32', ya.dims, ya.data as Float32Array), e.get('output.adapter')!, { atol: 0, rtol: 0 });
  const r2 = compareTensors(tensor('f32', yb.dims, yb.data as Float32Array), e.get('output.base')!, { atol: 0, rtol: 0 });
  const half = (ym.data as Float32Array).length / 2;
  const r3a = Math.max(...Array.from((ym.data as Float32Array).subarray(0, half), (v, i) => Math.abs(v - (ya.data as Float32Array)[i]!)));
  const r3b = Math.max(...Array.from((ym.data as Float32Array).subarray(half), (v, i) => Math.abs(v - (yb.data as Float32Array)[half + i]!)));
  console.log(c, style, variant, r1.maxAbs, r2.maxAbs, r3a, r3b, inj.warnings);
  await s.release();
});
}
