/**
 * One AdapterSession job, written once and run twice — in headless Chromium on onnxruntime-web (wasm) through the
 * package's browser entry, and in Node on onnxruntime-node through its Node entry: inject a golden case's adapter
 * into its toy model (in memory), load the full and top-k checkpoints, run with each, with none, and with a mixed
 * batch, and run the plain base model with `runOnnxModel`.
 */
import { adapterFromFiles, readSafetensors, toF32, type VBLoRAAdapter } from '@vblora/core';
import {
  AdapterSession,
  decodeOnnxModel,
  encodeOnnxModel,
  injectAdapterInputs,
  runOnnxModel,
  type InjectVariant,
  type OrtModule,
} from '@vblora/onnx';

/** What to run. */
export interface AdapterJob {
  /** A golden case; its toy model is served at `toy/<case>.onnx`, its files at `golden/<case>/`. */
  readonly case: string;
  readonly variant: InjectVariant;
}

/** Outputs `y` of the runs, as plain numbers (JSON from the page). */
export interface AdapterJobResult {
  /** SHA-256 of the injected model's bytes (the graph tools must give the same model everywhere). */
  readonly injectedSha256: string;
  readonly dims: readonly number[];
  readonly full: readonly number[];
  readonly topk: readonly number[];
  readonly none: readonly number[];
  /** Row 0 with the full adapter, row 1 without (null when the adapter replaces base tensors). */
  readonly mixed: readonly number[] | null;
  /** The base model alone, through `runOnnxModel`. */
  readonly plainBase: readonly number[];
}

/** Reads a served file (`toy/...`, `golden/...`). */
export type GetBytes = (path: string) => Promise<Uint8Array>;

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function adapter(get: GetBytes, c: string, flavour: string): Promise<VBLoRAAdapter> {
  const config = new TextDecoder().decode(await get(`golden/${c}/${flavour}/adapter_config.json`));
  return adapterFromFiles({ config, weights: await get(`golden/${c}/${flavour}/adapter_model.safetensors`) }).adapter;
}

/** Runs `job` on the onnxruntime module `ort`. */
export async function runAdapterJob(
  ort: OrtModule,
  sessionOptions: { executionProviders: ['wasm'] | ['cpu'] },
  get: GetBytes,
  job: AdapterJob,
): Promise<AdapterJobResult> {
  const c = job.case;
  const base = await get(`toy/${c}.onnx`);
  const [full, topk] = [await adapter(get, c, 'adapter_full'), await adapter(get, c, 'adapter_topk')];
  const x = toF32(readSafetensors(await get(`golden/${c}/expected.safetensors`)).tensors.get('input.x')!);
  const injected = await injectAdapterInputs(decodeOnnxModel(base), { adapter: full, variant: job.variant });
  const options = { ...sessionOptions, intraOpNumThreads: 1, logSeverityLevel: 3 as const };
  const session = await AdapterSession.create(injected.model, { ort, sessionOptions: options });
  try {
    await session.loadAdapter('full', full);
    await session.loadAdapter('topk', topk);
    const feeds = { x: new ort.Tensor('float32', x.data, [...x.shape]) };
    const y = async (o: { adapter?: string | null; rows?: (string | null)[] }) => {
      const out = (await session.run(feeds, o))['y']!;
      return { dims: [...out.dims], data: Array.from(out.data as Float32Array) };
    };
    const yFull = await y({ adapter: 'full' });
    const plain = (await runOnnxModel(base, { x }, { ort, sessionOptions: options })).get('y')!;
    return {
      injectedSha256: await sha256(encodeOnnxModel(injected.model.proto)),
      dims: yFull.dims,
      full: yFull.data,
      topk: (await y({ adapter: 'topk' })).data,
      none: (await y({})).data,
      mixed: full.extraTensors.size === 0 ? (await y({ rows: ['full', null] })).data : null,
      plainBase: Array.from(plain.data as Float32Array),
    };
  } finally {
    await session.release();
  }
}
