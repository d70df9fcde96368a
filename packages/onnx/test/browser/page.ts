/**
 * The page side of the Chromium test: `@vblora/onnx` as a browser bundler resolves it (its `browser` condition)
 * with onnxruntime-web's wasm build, whose .wasm the test's server hands out from node_modules.
 */
import * as ort from 'onnxruntime-web/wasm';
import { AdapterSession } from '@vblora/onnx';
import { runAdapterJob, type AdapterJob, type AdapterJobResult } from './adapter-job.js';

ort.env.wasm.wasmPaths = `${location.origin}/ort/`;
ort.env.wasm.numThreads = 1; // no cross-origin isolation here, so no SharedArrayBuffer
ort.env.wasm.proxy = false;

async function get(path: string): Promise<Uint8Array> {
  const res = await fetch(`/${path}`);
  if (!res.ok) throw new Error(`GET /${path}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** A job's result, or its error as text (so that the test shows it). */
async function runJob(job: AdapterJob): Promise<AdapterJobResult | { error: string }> {
  try {
    return await runAdapterJob(ort, { executionProviders: ['wasm'] }, get, job);
  } catch (err) {
    return { error: err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err) };
  }
}

/** What `AdapterSession.create` says without an onnxruntime module. */
async function withoutOrt(): Promise<string> {
  return AdapterSession.create(new Uint8Array(0), {} as never).then(
    () => 'created',
    (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err)),
  );
}

Object.assign(globalThis, { runAdapterJobInPage: runJob, adapterSessionWithoutOrt: withoutOrt });
