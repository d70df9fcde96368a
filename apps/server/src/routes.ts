/**
 * The routes: `POST /generate`, `GET /metrics`, `GET /healthz`.
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { checkAdapterId } from './adapter-id.js';
import type { AdapterCatalog } from './adapter-catalog.js';
import type { Batcher } from './batcher.js';
import { HttpError } from './errors.js';
import type { BatchGenerator } from './generator.js';
import type { ServerMetrics } from './metrics.js';
import type { ResolvedOptions } from './options.js';

/** The body of `POST /generate`. */
export interface GenerateBody {
  /** Adapter id (a sub-folder of the adapters folder), or null for the base model. */
  readonly adapter_id: string | null;
  readonly prompt: string;
  /** New tokens to generate (default 16, at most the server's `maxNewTokens`). */
  readonly max_new_tokens?: number;
}

/** The answer of `POST /generate`. */
export interface GenerateReply {
  /** The generated continuation (new tokens only), special tokens skipped. */
  readonly text: string;
  /** The new token ids. */
  readonly tokens: number[];
  readonly adapter_id: string | null;
}

/** Default `max_new_tokens` of a request. */
export const DEFAULT_NEW_TOKENS = 16;

/** What the routes use. */
export interface RouteDeps {
  readonly options: ResolvedOptions;
  readonly catalog: AdapterCatalog;
  /** True when an adapter is in memory already (no need to look at the folder). */
  readonly isStored: (id: string) => boolean;
  readonly generator: BatchGenerator;
  readonly batcher: Batcher;
  readonly metrics: ServerMetrics;
  /** Most tokens a prompt plus its new tokens may take (the model's context). */
  readonly maxPositions: number;
}

/** Registers the routes on `app`. */
export function registerRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { options, catalog, generator, batcher, metrics, isStored } = deps;
  const maxNew = Math.min(options.maxNewTokens, deps.maxPositions - 1);
  app.post<{ Body: GenerateBody; Reply: GenerateReply }>(
    '/generate',
    {
      schema: {
        body: {
          type: 'object',
          required: ['adapter_id', 'prompt'],
          additionalProperties: false,
          properties: {
            adapter_id: { type: ['string', 'null'] },
            prompt: { type: 'string', minLength: 1 },
            max_new_tokens: { type: 'integer', minimum: 1, maximum: maxNew },
          },
        },
      },
    },
    async (req) => {
      const { adapter_id: id, prompt } = req.body;
      const maxNewTokens = req.body.max_new_tokens ?? Math.min(DEFAULT_NEW_TOKENS, maxNew);
      if (id !== null) {
        checkAdapterId(id);
        // a stored adapter is served from memory (until evicted) even if its folder goes away
        if (!isStored(id) && (await catalog.find(id)) === null) {
          throw new HttpError(404, 'unknown_adapter', `no adapter ${JSON.stringify(id)} in the adapters folder`);
        }
      }
      if (prompt.length > options.maxPromptChars) {
        throw new HttpError(
          413,
          'prompt_too_long',
          `the prompt has ${prompt.length} characters, more than the ${options.maxPromptChars} allowed`,
        );
      }
      const n = generator.countTokens(prompt);
      if (n + maxNewTokens > deps.maxPositions) {
        throw new HttpError(
          413,
          'prompt_too_long',
          `the prompt has ${n} tokens; with max_new_tokens ${maxNewTokens} that is more than the model's ${deps.maxPositions} positions`,
        );
      }
      const r = await batcher.submit({ prompt, adapterId: id, maxNewTokens });
      return { text: r.text, tokens: r.tokens, adapter_id: id };
    },
  );

  app.get('/metrics', async (_req, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });

  app.get('/healthz', () => ({ status: 'ok' }));
}
