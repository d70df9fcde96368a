/**
 * Servers for tests (each with its own cache folder) and the calls tests make.
 */
import { AutoModelForCausalLM, AutoTokenizer, type PreTrainedModel, type Tensor } from '@huggingface/transformers';
import type { FastifyInstance } from 'fastify';
import { join } from 'node:path';
import { attachAdapters } from '@vblora/transformers/node';
import { afterAll } from 'vitest';
import { createServer, type CreateServerOptions, type GenerateReply } from '../../src/index.js';
import { parsePrometheus, type Exposition } from './prometheus.js';
import { tempDir } from './fixture.js';

/** A server on a fresh cache folder, closed when the test file ends (if the test did not close it). */
export async function testServer(options: CreateServerOptions = {}): Promise<FastifyInstance> {
  const app = await createServer({ cacheDir: tempDir('cache'), ...options });
  afterAll(() => app.close());
  return app;
}

/** An answer of `POST /generate` (status and parsed body). */
export interface Answer<T = GenerateReply> {
  readonly status: number;
  readonly body: T;
}

/** `POST /generate` through `inject` (no socket). */
export async function generate(app: FastifyInstance, payload: unknown): Promise<Answer> {
  const r = await app.inject({ method: 'POST', url: '/generate', payload: payload as object });
  return { status: r.statusCode, body: r.json<GenerateReply>() };
}

/** `GET /metrics`, parsed (throws when it is not valid exposition text). */
export async function metrics(app: FastifyInstance): Promise<Exposition> {
  const r = await app.inject({ method: 'GET', url: '/metrics' });
  if (r.statusCode !== 200) throw new Error(`/metrics answered ${r.statusCode}`);
  if (!r.headers['content-type']?.toString().startsWith('text/plain; version=0.0.4'))
    throw new Error(`/metrics content type ${String(r.headers['content-type'])}`);
  return parsePrometheus(r.body);
}

/**
 * The reference: transformers.js alone — a second model loaded from the server's hot-swap folder, one adapter
 * selected for the whole run, one prompt per `generate` call (no batching, no adapter cache) — giving the new
 * token ids of greedy generation.
 */
export async function referenceTokens(
  folder: string,
  adaptersDir: string,
  cases: readonly { readonly adapterId: string | null; readonly prompt: string }[],
  maxNewTokens: number,
): Promise<number[][]> {
  const model: PreTrainedModel = await AutoModelForCausalLM.from_pretrained(folder, { dtype: 'fp32', device: 'cpu' });
  const tokenizer = await AutoTokenizer.from_pretrained(folder);
  const adapters = await attachAdapters(model, { folder });
  try {
    const out: number[][] = [];
    for (const c of cases) {
      if (c.adapterId !== null && !adapters.names.includes(c.adapterId))
        await adapters.load(c.adapterId, join(adaptersDir, c.adapterId));
      adapters.use(c.adapterId);
      const enc = tokenizer(c.prompt) as { input_ids: Tensor; attention_mask: Tensor };
      const seq = (await model.generate({ ...enc, max_new_tokens: maxNewTokens, do_sample: false })) as Tensor;
      out.push(Array.from(seq.data as BigInt64Array, Number).slice(enc.input_ids.dims[1]));
    }
    return out;
  } finally {
    adapters.dispose();
    await model.dispose();
  }
}
