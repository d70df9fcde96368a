// @vblora/transformers in a scratch app: the packaged tiny Llama fixture injected for hot swapping
// (@vblora/onnx's injectModelFolder), loaded by the app's transformers.js on onnxruntime-node, adapters attached;
// greedy generations with adapter a and with none against PEFT's tokens. Usage: node transformers.mjs <empty dir>.
// Prints one JSON line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoModelForCausalLM, AutoTokenizer, env, LogLevel } from '@huggingface/transformers';
import { TINY_LLAMA_DIR, tinyLlamaPath } from '@vblora/conformance/fixtures';
import { injectModelFolder } from '@vblora/onnx';
import { attachAdapters } from '@vblora/transformers/node';

env.allowRemoteModels = false;
env.useFSCache = false;
env.logLevel = LogLevel.NONE;

const hot = join(process.argv[2], 'hot');
const gen = JSON.parse(readFileSync(tinyLlamaPath('expected', 'generations.json'), 'utf8'));
await injectModelFolder(tinyLlamaPath('adapters', 'vblora-b'), TINY_LLAMA_DIR, hot, { hotSwap: true });
const tokenizer = await AutoTokenizer.from_pretrained(TINY_LLAMA_DIR);
const model = await AutoModelForCausalLM.from_pretrained(hot, { dtype: 'fp32', device: 'cpu' });
const adapters = await attachAdapters(model, { folder: hot });
await adapters.load('a', tinyLlamaPath('adapters', 'vblora-a'));

const runs = {};
for (const [name, run] of [
  ['a', 'fp32.vblora-a'],
  [null, 'fp32.base'],
]) {
  adapters.use(name);
  const enc = tokenizer([...gen.prompts.single], { padding: true });
  const out = await model.generate({ ...enc, max_new_tokens: gen.max_new_tokens, do_sample: false });
  const [b, n] = out.dims;
  const got = Array.from({ length: b }, (_, r) => Array.from(out.data.slice(r * n, (r + 1) * n), Number));
  runs[run] = { got, want: gen.runs[run].single.sequences };
}
await model.dispose();
const resolved = {
  transformers: import.meta.resolve('@vblora/transformers/node'),
  hf: import.meta.resolve('@huggingface/transformers'),
};
process.stdout.write(`${JSON.stringify({ newTokens: gen.max_new_tokens, runs, resolved })}\n`);
