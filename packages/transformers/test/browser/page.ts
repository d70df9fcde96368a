/**
 * The browser page: transformers.js's web build on onnxruntime-web runs the tiny Llama folders served from
 * localhost, with this package's `attachAdapters` switching adapters in a loaded model, and returns tokens and
 * logits to the Node test. Nothing leaves localhost: remote models are off and the .wasm comes from /ort/.
 */
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  env,
  LogLevel,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import { attachAdapters, type AdapterController } from '../../src/index.js';
import { greedy } from '../shared/greedy.js';
import type { PageJob, PageResult, PageStepResult } from '../shared/page-job.js';

env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = '/models/';
env.useBrowserCache = false;
env.logLevel = LogLevel.NONE;
const wasm = env.backends.onnx.wasm!;
wasm.wasmPaths = '/ort/';
wasm.numThreads = 1;
wasm.proxy = false;

async function runJob(job: PageJob): Promise<PageResult> {
  const results: PageStepResult[] = [];
  const models = new Map<string, { model: PreTrainedModel; adapters?: AdapterController; attachMs?: number }>();
  let tokenizer: PreTrainedTokenizer | undefined;
  try {
    for (const step of job.steps) {
      tokenizer ??= await AutoTokenizer.from_pretrained(step.folder);
      const key = `${step.folder}:${step.dtype}`;
      let entry = models.get(key);
      let attachMs: number | undefined;
      if (entry === undefined) {
        const model = await AutoModelForCausalLM.from_pretrained(step.folder, {
          dtype: step.dtype,
          device: job.device,
        });
        entry = { model };
        models.set(key, entry);
      }
      if (step.use !== undefined) {
        if (entry.adapters === undefined) {
          const t0 = performance.now();
          entry.adapters = await attachAdapters(entry.model, { folder: `/models/${step.folder}` });
          for (const [name, url] of Object.entries(job.adapters)) await entry.adapters.load(name, url);
          attachMs = performance.now() - t0;
        }
        entry.adapters.use(step.use);
      }
      const r = await greedy(entry.model, tokenizer, job.prompts[step.case], job.maxNewTokens);
      results.push({
        sequences: r.sequences,
        logits: r.logits.map((l) => Array.from(l)),
        ms: r.ms,
        ...(attachMs === undefined ? {} : { attachMs }),
      });
    }
    return { ok: true, device: job.device, results };
  } catch (err) {
    return {
      ok: false,
      device: job.device,
      results,
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    };
  } finally {
    for (const { model, adapters } of models.values()) {
      adapters?.dispose();
      await model.dispose();
    }
  }
}

(globalThis as unknown as { runTinyLlamaJob: typeof runJob }).runTinyLlamaJob = runJob;
