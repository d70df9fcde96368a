#!/usr/bin/env node
/**
 * `vblora-server`: runs the reference server until SIGTERM/SIGINT, then exits 0 once every request taken is
 * answered.
 * @module
 */
import { parseArgs } from 'node:util';
import { referenceBackend, type Backend } from '@vblora/core';
import { createCpuBackend } from '@vblora/cpu';
import { createServer } from './create-server.js';
import { listenUntilSignal } from './listen.js';
import type { ServerDtype } from './options.js';

const HELP = `vblora-server [options]
  --base <folder>       transformers.js model folder (default: the tiny Llama fixture)
  --adapters <folder>   folder of PEFT adapters, one sub-folder per adapter id (default: the fixture's)
  --cache <folder>      folder the server owns for the hot-swap model it builds
  --host <host>         default 127.0.0.1
  --port <n>            default 8080 (0: any free port)
  --dtype fp32|q4       default fp32
  --window-ms <ms>      batching window, default 5
  --max-batch <n>       most requests per batch, default 8
  --composed-mb <n>     budget of composed adapters, MiB, default 64
  --stored-mb <n>       budget of parsed adapter files, MiB, default 256
  --threads <n>         ONNX Runtime threads per run, default 1 (0: one per physical core)
  --backend cpu|reference  what composes adapters: @vblora/cpu's WebAssembly kernels (default) or core's
                        reference kernels (same bits, slower)
  --log                 request logs on stdout`;

const num = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name} takes a number, got ${v}`);
  return n;
};

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      base: { type: 'string' },
      adapters: { type: 'string' },
      cache: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8080' },
      dtype: { type: 'string' },
      'window-ms': { type: 'string' },
      'max-batch': { type: 'string' },
      'composed-mb': { type: 'string' },
      'stored-mb': { type: 'string' },
      threads: { type: 'string' },
      backend: { type: 'string', default: 'cpu' },
      log: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (a.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const mb = (v: string | undefined, name: string): number | undefined => {
    const n = num(v, name);
    return n === undefined ? undefined : Math.round(n * 2 ** 20);
  };
  const opt = <K extends string, V>(k: K, v: V | undefined): { [P in K]?: V } =>
    (v === undefined ? {} : { [k]: v }) as { [P in K]?: V };
  let backend: Backend;
  if (a.backend === 'cpu') backend = createCpuBackend();
  else if (a.backend === 'reference') backend = referenceBackend;
  else throw new Error(`--backend takes cpu or reference, got ${a.backend}`);
  const app = await createServer({
    backend,
    ...opt('baseModel', a.base),
    ...opt('adaptersDir', a.adapters),
    ...opt('cacheDir', a.cache),
    ...opt('dtype', a.dtype as ServerDtype | undefined),
    ...opt('batchWindowMs', num(a['window-ms'], 'window-ms')),
    ...opt('maxBatchSize', num(a['max-batch'], 'max-batch')),
    ...opt('composedBytes', mb(a['composed-mb'], 'composed-mb')),
    ...opt('storedBytes', mb(a['stored-mb'], 'stored-mb')),
    ...opt('intraOpThreads', num(a.threads, 'threads')),
    logger: a.log,
  });
  const { address, closed } = await listenUntilSignal(app, a.host, num(a.port, 'port') ?? 8080);
  process.stdout.write(`vblora-server listening on ${address} (model ${app.vblora.modelFolder})\n`);
  const signal = await closed;
  process.stdout.write(`vblora-server: ${signal}, every request answered, closed\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`vblora-server: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}\n`);
    process.exit(1);
  },
);
