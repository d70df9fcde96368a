/**
 * The demo's last step: real text. Injects the shipped tiny Llama's PEFT adapter `vblora-a` into the fixture's
 * transformers.js folder and generates greedily with transformers.js from the base folder and the injected one,
 * comparing the tokens with PEFT's recorded generations (expected/generations.json).
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TINY_LLAMA_DIR, tinyLlamaPath } from '@vblora/conformance/fixtures';
import { readAdapterDir } from '@vblora/core/node';
import { printable } from '../../io.js';

/** The injected folder, relative to the demo's folder. */
export const TINY_LLAMA_OUT = 'tiny-llama-vblora-a';

/** What the injected folder holds: every file `injectModelFolder` writes there from the fixture folder. */
export const TINY_LLAMA_FILES: readonly string[] = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'README.md',
  'summary.json',
  'MANIFEST.sha256',
  'onnx/model.onnx',
  'onnx/model_q4.onnx',
  'onnx/model_int8.onnx',
].map((f) => `${TINY_LLAMA_OUT}/${f}`);

/** Its folders, deepest first: removed (only when empty) before a new run, since the inject needs a new or empty folder. */
export const TINY_LLAMA_DIRS: readonly string[] = [`${TINY_LLAMA_OUT}/onnx`, TINY_LLAMA_OUT];

/** One generation row: a model folder run through transformers.js, or why it could not run here. */
export interface TextRow {
  readonly label: string;
  /** Decoded prompt + generated text, or null when the run was not possible here. */
  readonly text: string | null;
  /** "matches PEFT", or where the tokens first differ from PEFT's; the reason when the run was not possible. */
  readonly peft: string;
  readonly ms: number;
}

/** The generation rows and the prompt they start from. */
export interface TextGeneration {
  readonly prompt: string;
  readonly maxNewTokens: number;
  readonly rows: readonly TextRow[];
}

interface Generations {
  readonly max_new_tokens: number;
  readonly prompts: { readonly single: readonly string[] };
  readonly runs: Record<string, { readonly single: { readonly sequences: number[][] } }>;
}

/** "matches PEFT", or the first differing position (0 = first token of the prompt). */
export function peftMatch(got: readonly number[], want: readonly number[] | undefined): string {
  if (want === undefined) return 'no PEFT record to compare with';
  const n = Math.max(got.length, want.length);
  for (let i = 0; i < n; i++) {
    if (got[i] !== want[i]) return `differs from PEFT at token ${i} (got ${got[i] ?? 'end'}, PEFT ${want[i] ?? 'end'})`;
  }
  return 'matches PEFT';
}

const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/**
 * Injects `vblora-a` into `<out>/tiny-llama-vblora-a/` and generates from the fixture's first prompt, base and
 * adapted, fp32 and q4. Each row that cannot run says why; nothing here throws for a missing runtime or fixture.
 */
export async function tinyLlamaText(out: string): Promise<TextGeneration> {
  let gen: Generations;
  try {
    gen = JSON.parse(await readFile(tinyLlamaPath('expected', 'generations.json'), 'utf8')) as Generations;
  } catch (err) {
    const why = `tiny Llama fixture not available here: ${firstLine(err)}`;
    return { prompt: '', maxNewTokens: 0, rows: [{ label: 'tiny Llama', text: null, peft: why, ms: 0 }] };
  }
  const prompt = gen.prompts.single[0]!;
  const maxNewTokens = gen.max_new_tokens;
  const folder = join(out, TINY_LLAMA_OUT);
  const runs = [
    { label: 'fp32 base', dir: TINY_LLAMA_DIR, dtype: 'fp32', run: 'fp32.base' },
    { label: 'fp32 + vblora-a', dir: folder, dtype: 'fp32', run: 'fp32.vblora-a' },
    { label: 'q4 base', dir: TINY_LLAMA_DIR, dtype: 'q4', run: 'q4.base' },
    { label: 'q4 + vblora-a', dir: folder, dtype: 'q4', run: 'q4.vblora-a' },
  ] as const;
  let injectError: string | null = null;
  try {
    const { injectModelFolder } = await import('@vblora/onnx');
    const adapter = (await readAdapterDir(tinyLlamaPath('adapters', 'vblora-a'))).adapter;
    await injectModelFolder(adapter, TINY_LLAMA_DIR, folder, {});
  } catch (err) {
    injectError = `inject failed: ${firstLine(err)}`;
  }
  let tf: typeof import('@huggingface/transformers');
  try {
    tf = await import('@huggingface/transformers');
  } catch (err) {
    const why = `transformers.js not available here: ${firstLine(err)}`;
    return { prompt, maxNewTokens, rows: runs.map((r) => ({ label: r.label, text: null, peft: why, ms: 0 })) };
  }
  tf.env.allowRemoteModels = false;
  tf.env.useFSCache = false;
  tf.env.logLevel = tf.LogLevel.ERROR;
  const rows: TextRow[] = [];
  let tokenizer: Awaited<ReturnType<typeof tf.AutoTokenizer.from_pretrained>>;
  try {
    tokenizer = await tf.AutoTokenizer.from_pretrained(TINY_LLAMA_DIR);
  } catch (err) {
    const why = `tokenizer did not load: ${firstLine(err)}`;
    return { prompt, maxNewTokens, rows: runs.map((r) => ({ label: r.label, text: null, peft: why, ms: 0 })) };
  }
  for (const r of runs) {
    if (r.dir === folder && injectError !== null) {
      rows.push({ label: r.label, text: null, peft: injectError, ms: 0 });
      continue;
    }
    let model: Awaited<ReturnType<typeof tf.AutoModelForCausalLM.from_pretrained>>;
    try {
      model = await tf.AutoModelForCausalLM.from_pretrained(r.dir, { dtype: r.dtype, device: 'cpu' });
    } catch (err) {
      rows.push({ label: r.label, text: null, peft: `not available here: ${firstLine(err)}`, ms: 0 });
      continue;
    }
    try {
      const t0 = performance.now();
      const enc = tokenizer([prompt]) as {
        input_ids: import('@huggingface/transformers').Tensor;
        attention_mask: import('@huggingface/transformers').Tensor;
      };
      const seq = (await model.generate({
        ...enc,
        max_new_tokens: maxNewTokens,
        do_sample: false,
      })) as import('@huggingface/transformers').Tensor;
      const ms = performance.now() - t0;
      const ids = Array.from(seq.data as ArrayLike<bigint | number>, Number);
      const text = tokenizer.decode(ids, { skip_special_tokens: true });
      rows.push({ label: r.label, text, peft: peftMatch(ids, gen.runs[r.run]?.single.sequences[0]), ms });
    } finally {
      await model.dispose();
    }
  }
  return { prompt, maxNewTokens, rows };
}

/** The generation rows as printed. */
export function tinyLlamaTextLines(g: TextGeneration): string {
  const lines = [
    `text generation: shipped tiny Llama with PEFT adapter vblora-a injected (${TINY_LLAMA_OUT}/), transformers.js greedy, ${g.maxNewTokens} new tokens`,
    `  prompt: ${JSON.stringify(g.prompt)}`,
    ...g.rows.map((r) =>
      r.text === null
        ? `  ${r.label.padEnd(16)} — ${printable(r.peft)}`
        : `  ${r.label.padEnd(16)} ${JSON.stringify(r.text)}  [${r.peft}; ${r.ms.toFixed(0)} ms]`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
