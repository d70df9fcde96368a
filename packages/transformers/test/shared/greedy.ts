/**
 * Greedy generation with transformers.js, recording the token ids and the logits of every step — the same code in
 * Node and in the browser page.
 */
import type { PreTrainedModel, PreTrainedTokenizer, Tensor } from '@huggingface/transformers';

/** What one `generate` call produced. */
export interface GreedyRun {
  /** Prompt and generated ids, one row per batch row. */
  readonly sequences: number[][];
  /** Logits of each step, [batch × vocab] (the fixture stores [steps, batch, vocab]). */
  readonly logits: Float32Array[];
  /** The tokenizer's input ids and attention mask, to check against the fixture's. */
  readonly inputIds: number[][];
  readonly attentionMask: number[][];
  /** Wall time of `generate`, ms. */
  readonly ms: number;
}

const rows = (t: Tensor): number[][] => {
  const [b, n] = t.dims as [number, number];
  return Array.from({ length: b }, (_, r) =>
    Array.from(t.data.slice(r * n, (r + 1) * n) as ArrayLike<bigint | number>, Number),
  );
};

/** `model.generate` greedy (`do_sample: false`) for `maxNewTokens` tokens on the left-padded `prompts`. */
export async function greedy(
  model: PreTrainedModel,
  tokenizer: PreTrainedTokenizer,
  prompts: readonly string[],
  maxNewTokens: number,
): Promise<GreedyRun> {
  const enc = tokenizer([...prompts], { padding: true }) as { input_ids: Tensor; attention_mask: Tensor };
  const logits: Float32Array[] = [];
  // a logits processor that only records: transformers.js calls each one as processor(ids, logits) per step
  const record = (_ids: bigint[][], l: Tensor): Tensor => {
    logits.push(Float32Array.from(l.data as Float32Array));
    return l;
  };
  const t0 = performance.now();
  const out = (await model.generate({
    ...enc,
    max_new_tokens: maxNewTokens,
    do_sample: false,
    logits_processor: [record] as never,
  })) as Tensor;
  const ms = performance.now() - t0;
  return { sequences: rows(out), logits, inputIds: rows(enc.input_ids), attentionMask: rows(enc.attention_mask), ms };
}

/** Largest |a − e| between the recorded logits and the fixture's [steps, batch, vocab] array, over `rowsOf` rows. */
export function maxLogitError(
  got: readonly Float32Array[],
  expected: Float32Array,
  batch: number,
  vocab: number,
  rowsOf: readonly number[] = [...Array(batch).keys()],
): number {
  let worst = 0;
  got.forEach((step, s) => {
    for (const b of rowsOf) {
      for (let v = 0; v < vocab; v++) {
        const e = expected[(s * batch + b) * vocab + v]!;
        const d = Math.abs(step[b * vocab + v]! - e);
        if (!(d <= worst)) worst = d; // NaN wins
      }
    }
  });
  return worst;
}
