import {
  compareTensors,
  createRng,
  mergeIntoStateDict,
  referenceBackend,
  tensor,
  type HostTensor,
  type VBLoRAAdapter,
} from '@vblora/core';
import { toyLlamaForward } from './toy-forward.js';

/** What every model-level run starts from: the top-k adapter as reloaded, the base weights and the probe input. */
export interface ModelRunInput {
  readonly adapter: VBLoRAAdapter;
  readonly base: ReadonlyMap<string, HostTensor>;
  /** (batch, seq, hidden) float32. */
  readonly x: HostTensor<'f32'>;
  /** Folder for the model files a run writes (the demo's output folder). */
  readonly dir: string;
}

/** Runs the ToyLlama with the adapter: the model output y (batch, seq, nOut). */
export type ModelRun = (input: ModelRunInput) => Promise<HostTensor>;

/** A way to run the ToyLlama with the adapter, loaded only when asked (it may not be available on this machine). */
export interface ModelCandidate {
  readonly label: string;
  /** Imports what the run needs; throws when that is not available here. */
  readonly load: () => Promise<ModelRun>;
}

/** One model-level row of the parity table. */
export interface ModelParityRow {
  readonly label: string;
  /** Max abs error of the model output vs the reference forward, or null when the run was not possible here. */
  readonly outputErr: number | null;
  readonly ms: number;
  readonly note: string;
}

/** The model-level rows, and how far the adapter moves the output (the scale the errors compare with). */
export interface ModelParity {
  readonly rows: readonly ModelParityRow[];
  /** Max abs difference between the reference output and the base model's (no adapter). */
  readonly adapterEffect: number;
}

/** The model-level reference: how it is computed, for the table's header. */
export const MODEL_REFERENCE = 'plain-JS float32 forward of the reference-merged weights';

/** The demo's fixed probe input: seeded N(0, 1), 2 sequences × 8 tokens. */
export function probeInput(hidden: number): HostTensor<'f32'> {
  const rng = createRng(7);
  return tensor(
    'f32',
    [2, 8, hidden],
    Float32Array.from({ length: 2 * 8 * hidden }, () => rng.normal()),
  );
}

/**
 * Runs the ToyLlama with the adapter on each candidate and compares its output with {@link MODEL_REFERENCE}
 * (the first row), timing each run from the adapter and base weights to the output.
 */
export async function modelParityTable(
  input: ModelRunInput,
  candidates: readonly ModelCandidate[],
): Promise<ModelParity> {
  let t0 = performance.now();
  const reference = toyLlamaForward(
    await mergeIntoStateDict(input.adapter, input.base, { backend: referenceBackend }),
    input.x,
  );
  const rows: ModelParityRow[] = [
    { label: 'reference (plain JS)', outputErr: 0, ms: performance.now() - t0, note: '' },
  ];
  for (const c of candidates) {
    let run: ModelRun;
    try {
      run = await c.load();
    } catch (err) {
      rows.push({
        label: c.label,
        outputErr: null,
        ms: 0,
        note: `not available here: ${(err as Error).message.split('\n')[0]}`,
      });
      continue;
    }
    t0 = performance.now();
    const y = await run(input); // a failure here is a bug, not a missing capability: let it surface
    const ms = performance.now() - t0;
    rows.push({ label: c.label, outputErr: compareTensors(y, reference, { atol: 0, rtol: 0 }).maxAbs, ms, note: '' });
  }
  const adapterEffect = compareTensors(toyLlamaForward(input.base, input.x), reference, { atol: 0, rtol: 0 }).maxAbs;
  return { rows, adapterEffect };
}
