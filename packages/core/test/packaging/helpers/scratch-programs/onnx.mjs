// @vblora/onnx in a scratch app: the golden ToyLlama built as an ONNX model, the adapter injected as graph inputs,
// run by AdapterSession on the app's onnxruntime-node with and without the adapter, against PEFT's outputs.
// Prints one JSON line.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { compareTensors, formatMismatch, readSafetensors } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { peftGoldenPath } from '@vblora/conformance/fixtures';
import { AdapterSession, fromOrtTensor, injectAdapterInputs, toOrtTensor, toyLlamaOnnx } from '@vblora/onnx';

const CASE = process.argv[2]; // a PEFT golden case of @vblora/conformance
// the tolerance of @vblora/onnx's golden tests for whole-model float32 outputs (another summation order than torch)
const F32_MODEL = { atol: 2e-6, rtol: 1e-5 };

const read = (file) => readSafetensors(readFileSync(peftGoldenPath(CASE, file))).tensors;
const base = read('base.safetensors');
const expected = read('expected.safetensors');
const { adapter } = await readAdapterDir(peftGoldenPath(CASE, 'adapter_full'));
const injected = await injectAdapterInputs(toyLlamaOnnx(base), { adapter, variant: 'lowrank' });
const session = await AdapterSession.create(injected.model, { sessionOptions: { intraOpNumThreads: 1 } });
await session.loadAdapter('golden', adapter);
const feeds = { x: toOrtTensor(expected.get('input.x'), ort) };
const results = {};
const mismatches = [];
for (const [label, options, want] of [
  ['adapter', { adapter: 'golden' }, 'output.adapter'],
  ['base', {}, 'output.base'],
]) {
  const r = compareTensors(fromOrtTensor((await session.run(feeds, options))['y']), expected.get(want), F32_MODEL);
  results[label] = r.maxAbs;
  if (!r.ok) mismatches.push(formatMismatch(r, label));
}
await session.release();
const resolved = { onnx: import.meta.resolve('@vblora/onnx'), ort: import.meta.resolve('onnxruntime-node') };
process.stdout.write(
  `${JSON.stringify({ ort: ort.env.versions, warnings: injected.warnings, maxAbs: results, mismatches, resolved })}\n`,
);
