/**
 * Greedy generation for a batch of requests on one transformers.js model: the prompts left-padded into one
 * `generate` call, one adapter per batch row, so every decoding step is one ONNX Runtime run for the whole batch.
 * @module
 */
import type { PreTrainedModel, PreTrainedTokenizer, Tensor } from '@huggingface/transformers';
import type { AdapterLease } from '@vblora/onnx';
import type { AdapterController, AdapterSelection } from '@vblora/transformers/node';

/** One request of a batch. */
export interface GenerateRow {
  readonly prompt: string;
  /** Adapter id, or null for the base model. */
  readonly adapterId: string | null;
  readonly maxNewTokens: number;
}

/** What one row generated. */
export interface GenerateResult {
  /** The new token ids (prompt excluded), cut at the row's `maxNewTokens` and after an end-of-sequence token. */
  readonly tokens: number[];
  /** The new tokens decoded, special tokens skipped. */
  readonly text: string;
}

/** Runs batches of requests on one model whose adapters `controller` switches. */
export class BatchGenerator {
  private readonly eos: ReadonlySet<number>;

  constructor(
    private readonly model: PreTrainedModel,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly controller: AdapterController,
  ) {
    const e = (model.generation_config as { eos_token_id?: number | number[] | null } | null)?.eos_token_id;
    this.eos = new Set(e === undefined || e === null ? [] : Array.isArray(e) ? e : [e]);
    // a batch is padded on the left: the new tokens of every row then start at the same position
    (tokenizer as { padding_side: string }).padding_side = 'left';
  }

  /** Number of tokens the tokenizer makes of `prompt` (special tokens included). */
  countTokens(prompt: string): number {
    const enc = this.tokenizer(prompt) as { input_ids: Tensor };
    return enc.input_ids.dims[1] ?? 0;
  }

  /**
   * Generates every row greedily in one `generate` call with the adapters of `lease` (which must hold every row's
   * adapter and stay unreleased until this settles); rows are independent of each other (fp32, q4).
   */
  async run(rows: readonly GenerateRow[], lease: AdapterLease): Promise<GenerateResult[]> {
    const enc = this.tokenizer(
      rows.map((r) => r.prompt),
      { padding: true },
    ) as { input_ids: Tensor; attention_mask: Tensor };
    const ids = rows.map((r) => r.adapterId);
    const selection: AdapterSelection = ids.every((id) => id === ids[0]) ? ids[0]! : ids;
    const maxNew = Math.max(...rows.map((r) => r.maxNewTokens));
    const out = (await this.controller.withAdapter(
      selection,
      () => this.model.generate({ ...enc, max_new_tokens: maxNew, do_sample: false }),
      { lease },
    )) as Tensor;
    const [, width] = out.dims as [number, number];
    const promptWidth = enc.input_ids.dims[1]!;
    const data = out.data as BigInt64Array;
    return rows.map((r, i) => {
      const tokens: number[] = [];
      for (let j = promptWidth; j < width && tokens.length < r.maxNewTokens; j++) {
        const t = Number(data[i * width + j]);
        tokens.push(t);
        if (this.eos.has(t)) break; // a finished row is padded after its end token
      }
      return { tokens, text: this.tokenizer.decode(tokens, { skip_special_tokens: true }) };
    });
  }
}
