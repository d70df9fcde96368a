/**
 * transformers.js generation speed: greedy tokens per second of a model folder with a VB-LoRA adapter injected —
 * built in (`static`, what `vblora inject` writes) or switchable (`hot swap`, attached with `@vblora/transformers`)
 * — against the base folder, alternating generation by generation in one process.
 * @module
 */
import type { Backend, VBLoRAAdapter } from '@vblora/core';
import type { BenchRow } from '../result.js';
import { fmtTiming, timePaired, type Timing } from '../stats.js';

type Transformers = typeof import('@huggingface/transformers');
type CausalLM = Awaited<ReturnType<Transformers['AutoModelForCausalLM']['from_pretrained']>>;

/** One folder to time: the base, or the base with an adapter injected. */
export interface GenerateCase {
  readonly label: string;
  readonly dir: string;
  /** For a hot-swap folder: the adapter to attach and select. */
  readonly attach?: VBLoRAAdapter;
}

/** What {@link generateWorkload} times. */
export interface GenerateWorkload {
  /** Case column, e.g. `tiny Llama (hidden 64, 2 layers)`. */
  readonly size: string;
  readonly base: GenerateCase;
  readonly adapted: readonly GenerateCase[];
  readonly promptTokens: number;
  readonly newTokens: number;
  readonly reps: number;
  /** Composes the hot-swap adapters' A/B (lowrank folders). */
  readonly backend?: Backend;
}

async function load(tf: Transformers, c: GenerateCase, backend: Backend | undefined): Promise<CausalLM> {
  const model = await tf.AutoModelForCausalLM.from_pretrained(c.dir, { dtype: 'fp32', device: 'cpu' });
  if (c.attach !== undefined) {
    const { attachAdapters } = await import('@vblora/transformers/node');
    const controller = await attachAdapters(model, {
      folder: c.dir,
      dtype: 'fp32',
      ...(backend === undefined ? {} : { backend }),
    });
    await controller.load('bench', c.attach);
    controller.use('bench');
  }
  return model;
}

/** Greedy generation of exactly `newTokens` tokens after a `promptTokens`-token prompt, batch 1. */
function generator(tf: Transformers, model: CausalLM, promptTokens: number, newTokens: number): () => Promise<void> {
  // ids 4… are ordinary tokens of the shipped tokenizer (0–3 are its specials)
  const ids = BigInt64Array.from({ length: promptTokens }, (_, i) => BigInt(i === 0 ? 1 : 4 + ((i * 37) % 150)));
  const inputIds = new tf.Tensor('int64', ids, [1, promptTokens]);
  const mask = new tf.Tensor('int64', new BigInt64Array(promptTokens).fill(1n), [1, promptTokens]);
  return async () => {
    const out = (await model.generate({
      input_ids: inputIds,
      attention_mask: mask,
      max_new_tokens: newTokens,
      min_new_tokens: newTokens,
      do_sample: false,
    })) as InstanceType<Transformers['Tensor']>;
    if (out.dims[1] !== promptTokens + newTokens)
      throw new Error(`generated ${out.dims[1]! - promptTokens} tokens, not ${newTokens}`);
  };
}

const tokensPerSecond = (t: Timing, n: number) => (n / t.medianMs) * 1000;

/** Rows: each adapted folder's tokens/s against the base folder's, timed alternately. */
export async function generateWorkload(w: GenerateWorkload): Promise<BenchRow[]> {
  const tf = await import('@huggingface/transformers');
  tf.env.allowRemoteModels = false;
  tf.env.useFSCache = false;
  tf.env.logLevel = tf.LogLevel.ERROR;
  const rows: BenchRow[] = [];
  const base = await load(tf, w.base, w.backend);
  try {
    const runBase = generator(tf, base, w.promptTokens, w.newTokens);
    for (const c of w.adapted) {
      const model = await load(tf, c, w.backend);
      try {
        const [b, a] = await timePaired(runBase, generator(tf, model, w.promptTokens, w.newTokens), w.reps, 1);
        const ratio = tokensPerSecond(a, w.newTokens) / tokensPerSecond(b, w.newTokens);
        rows.push({
          workload: 'transformers.js generate',
          case: `${w.size}, ${c.label}, ${w.promptTokens}-token prompt + ${w.newTokens} new`,
          backend: 'onnxruntime-node',
          timing: a,
          value:
            `${tokensPerSecond(a, w.newTokens).toFixed(1)} tokens/s (${fmtTiming(a)}); ` +
            `base ${tokensPerSecond(b, w.newTokens).toFixed(1)} tokens/s (${fmtTiming(b)})`,
          ratio,
          ratioOf: "of the base model's tokens/s",
          target: 0.9,
        });
      } finally {
        await model.dispose();
      }
    }
  } finally {
    await base.dispose();
  }
  return rows;
}
