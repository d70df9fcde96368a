// @vblora/onnx/web in a scratch app: the entry pages get, with the app's onnxruntime-web passed in (its WebAssembly
// backend runs in Node too): the golden ToyLlama with the adapter injected as graph inputs, run by AdapterSession with
// and without the adapter, against PEFT's outputs. Usage: node onnx-web.mjs <golden case>. Prints one JSON line.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import { adapterFromFiles, compareTensors, formatMismatch, readSafetensors } from '@vblora/core';
import { peftGoldenPath } from '@vblora/conformance/fixtures';
import { AdapterSession, fromOrtTensor, injectAdapterInputs, toOrtTensor, toyLlamaOnnx } from '@vblora/onnx/web';

const CASE = process.argv[2]; // a PEFT golden case of @vblora/conformance
// the tolerance of @vblora/onnx's golden tests for whole-model float32 outputs (another summation order than torch)
const F32_MODEL = { atol: 2e-6, rtol: 1e-5 };

ort.env.wasm.numThreads = 1;
const read = (file) => readSafetensors(readFileSync(peftGoldenPath(CASE, file))).tensors;
const base = read('base.safetensors');
const expected = read('expected.safetensors');
// a page has the adapter's files as bytes, not a folder
const { adapter } = adapterFromFiles({
  config: readFileSync(peftGoldenPath(CASE, 'adapter_full', 'adapter_config.json'), 'utf8'),
  weights: readFileSync(peftGoldenPath(CASE, 'adapter_full', 'adapter_model.safetensors')),
});
const injected = await injectAdapterInputs(toyLlamaOnnx(base), { adapter, variant: 'lowrank' });
const session = await AdapterSession.create(injected.model, { ort });
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
const resolved = { onnx: import.meta.resolve('@vblora/onnx/web'), ort: import.meta.resolve('onnxruntime-web') };
process.stdout.write(`${JSON.stringify({ ort: ort.env.versions, maxAbs: results, mismatches, resolved })}\n`);
