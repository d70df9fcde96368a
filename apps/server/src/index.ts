/**
 * `@vblora/server-app`: a reference HTTP server (fastify) serving many PEFT VB-LoRA adapters on one transformers.js
 * base model — requests batched into one ONNX Runtime run per decoding step, one adapter per batch row, adapters
 * composed on demand within byte budgets, Prometheus metrics, graceful shutdown.
 * @example
 * ```ts
 * import { createServer } from '@vblora/server-app';
 * const app = await createServer({ adaptersDir: './adapters' });
 * await app.listen({ host: '127.0.0.1', port: 8080 });
 * ```
 * @packageDocumentation
 */
export { createServer, type CreateServerOptions, type ServerInfo } from './create-server.js';
export { resolveOptions, type ServerOptions, type ServerDtype, type ResolvedOptions } from './options.js';
export { HttpError, type ErrorBody, type ErrorCode } from './errors.js';
export { ADAPTER_ID_PATTERN, isAdapterId } from './adapter-id.js';
export { DEFAULT_NEW_TOKENS, type GenerateBody, type GenerateReply } from './routes.js';
export { listenUntilSignal } from './listen.js';
export { adapterVariant, writeAdapterVariants } from './synthetic-adapters.js';
