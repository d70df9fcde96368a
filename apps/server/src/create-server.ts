/**
 * `createServer`: the fastify instance serving many adapters on one base model.
 * @module
 */
import { AutoModelForCausalLM, AutoTokenizer, env } from '@huggingface/transformers';
import { ConfigError, type Backend } from '@vblora/core';
import { attachAdapters } from '@vblora/transformers/node';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { AdapterCatalog } from './adapter-catalog.js';
import { AdapterPool } from './adapter-pool.js';
import { Batcher } from './batcher.js';
import { HttpError } from './errors.js';
import { BatchGenerator } from './generator.js';
import { hotSwapFolder } from './hot-folder.js';
import { createMetrics } from './metrics.js';
import { resolveOptions, type ServerOptions } from './options.js';
import { registerRoutes } from './routes.js';

/** Options of `createServer`, plus the backend that composes adapters. */
export interface CreateServerOptions extends ServerOptions {
  /** Backend that composes adapters (default: core's reference kernels). */
  readonly backend?: Backend;
}

/** What `createServer` built, beside the routes (for tests and for logs). */
export interface ServerInfo {
  /** The hot-swap model folder the server runs, and whether it was reused from the cache folder. */
  readonly modelFolder: string;
  readonly reused: boolean;
  /** The adapters the model's branches were built from. */
  readonly templates: readonly string[];
}

declare module 'fastify' {
  interface FastifyInstance {
    /** What the server runs. */
    vblora: ServerInfo;
  }
}

/** fastify's own errors → the server's typed answers. */
function typedError(err: FastifyError): HttpError {
  if (err instanceof HttpError) return err;
  if (err.validation !== undefined) return new HttpError(400, 'bad_request', err.message);
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new HttpError(413, 'payload_too_large', err.message);
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500)
    return new HttpError(err.statusCode, 'bad_request', err.message);
  return new HttpError(500, 'internal', 'internal error', { cause: err });
}

/**
 * Builds the server: reads the adapters folder, builds (or reuses) the hot-swap model folder, loads it with
 * transformers.js and attaches adapters; call `listen()` on the result, or `inject()` in tests. `close()` stops
 * taking requests (503 `shutting_down`), answers every request already taken, then releases the model.
 * @example
 * ```ts
 * const app = await createServer({ baseModel: './Llama-tiny', adaptersDir: './adapters' });
 * await app.listen({ port: 8080 });
 * ```
 * @throws {ConfigError} for bad options or an adapters folder without adapters.
 */
export async function createServer(options: CreateServerOptions = {}): Promise<FastifyInstance> {
  const o = resolveOptions(options);
  const catalog = new AdapterCatalog(o.adaptersDir);
  const ids = o.templateAdapters === undefined || o.preloadAdapters ? await catalog.list() : [];
  const templates = o.templateAdapters ?? (await catalog.templates(ids));
  if (templates.length === 0) throw new ConfigError(`${o.adaptersDir} holds no PEFT adapter`, 'adaptersDir');
  const templateDirs: string[] = [];
  for (const id of templates) {
    const e = await catalog.find(id);
    if (e === null) throw new ConfigError(`template adapter ${id} is not in ${o.adaptersDir}`, 'templateAdapters');
    templateDirs.push(e.dir);
  }
  const { folder, reused } = await hotSwapFolder(o.baseModel, templateDirs, o.cacheDir);

  env.allowRemoteModels = false; // offline: the model is a local folder
  env.useFSCache = false;
  const model = await AutoModelForCausalLM.from_pretrained(folder, {
    dtype: o.dtype,
    device: 'cpu',
    // 0: left to ONNX Runtime (one thread per physical core)
    ...(o.intraOpThreads === 0 ? {} : { session_options: { intraOpNumThreads: o.intraOpThreads } }),
  });
  const tokenizer = await AutoTokenizer.from_pretrained(folder);
  const controller = await attachAdapters(model, {
    folder,
    ...(options.backend === undefined ? {} : { backend: options.backend }),
  });
  const maxPositions = (model.config as { max_position_embeddings?: number }).max_position_embeddings ?? 2048;

  const metrics = createMetrics();
  const pool = new AdapterPool(controller.info, catalog, metrics, o, options.backend);
  if (o.preloadAdapters) await pool.preload(ids);
  const generator = new BatchGenerator(model, tokenizer, controller);
  const batcher = new Batcher(pool, generator, metrics, {
    windowMs: o.batchWindowMs,
    maxBatchSize: o.maxBatchSize,
    maxQueue: o.maxQueue,
  });

  const app = Fastify({
    logger: o.logger,
    bodyLimit: o.bodyLimit,
    return503OnClosing: false, // answered below with the typed body
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  });
  app.decorate('vblora', { modelFolder: folder, reused, templates });
  let closing = false;
  const started = new WeakMap<object, number>();

  const counted = new WeakSet<object>(); // requests in the in-flight gauge, left once (answered or aborted)
  const leave = (req: object): void => {
    if (counted.delete(req)) metrics.inFlight.dec();
  };
  app.addHook('onRequest', async (req, reply) => {
    started.set(req, performance.now());
    counted.add(req);
    metrics.inFlight.inc();
    // a client that goes away before its answer: the response closes unfinished (fastify's onRequestAbort only
    // fires while the body is still arriving)
    reply.raw.once('close', () => leave(req));
    if (closing) throw new HttpError(503, 'shutting_down', 'the server is shutting down');
  });
  app.addHook('onResponse', async (req, reply) => {
    leave(req);
    const t0 = started.get(req);
    if (t0 !== undefined) {
      metrics.requestSeconds.observe(
        { route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
        (performance.now() - t0) / 1000,
      );
    }
  });
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const e = typedError(err);
    if (e.status >= 500 && e.code === 'internal') req.log.error(err);
    if (e.status === 503) reply.header('connection', 'close');
    return reply.code(e.status).send(e.body());
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send(new HttpError(404, 'not_found', `no route ${req.method} ${req.url}`).body()),
  );
  registerRoutes(app, {
    options: o,
    catalog,
    isStored: (id) => pool.store.has(id),
    generator,
    batcher,
    metrics,
    maxPositions,
  });

  app.addHook('preClose', async () => {
    closing = true;
    await batcher.drain();
  });
  app.addHook('onClose', async () => {
    controller.dispose();
    await model.dispose();
  });
  return app;
}
