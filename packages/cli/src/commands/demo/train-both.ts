import {
  applyLoRA,
  applyVBLoRA,
  toyOptions,
  trainAdapter,
  type Batch,
  type LoRAModel,
  type ToyModel,
  type TrainProgress,
  type VBLoRAModel,
} from '@vblora/tfjs';
import { demoBase } from './toy-task.js';

/** The VB-LoRA config the demo trains (every projection of both layers). */
export const DEMO_VBLORA = {
  r: 4,
  num_vectors: 64,
  vector_length: 16,
  topk: 2,
  target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'up_proj', 'down_proj'],
};

/** A trained model and its loss history. */
export interface Trained<M> {
  readonly base: ToyModel;
  readonly model: M;
  readonly lossHistory: number[];
  readonly ms: number;
}

/** Trains a VB-LoRA adapter toward the teacher (the paper's learning rates, scaled for a 200-step toy run). */
export async function trainVBLoRA(
  batches: readonly Batch[],
  steps: number,
  onStep: (p: TrainProgress) => void,
): Promise<Trained<VBLoRAModel>> {
  const base = demoBase();
  const model = applyVBLoRA(base.model, DEMO_VBLORA, { ...toyOptions(base), seed: 2 });
  const t0 = performance.now();
  const r = await trainAdapter(model, { batches, steps, optimizer: { logitsLr: 5e-2, bankLr: 1e-2 }, onStep });
  r.optimizer.dispose();
  return { base, model, lossHistory: r.lossHistory, ms: performance.now() - t0 };
}

/** Trains a plain LoRA on the same modules, for comparison: the same rank by default, or rank `r`. */
export async function trainLoRA(
  batches: readonly Batch[],
  steps: number,
  onStep: (p: TrainProgress) => void,
  r = DEMO_VBLORA.r,
): Promise<Trained<LoRAModel>> {
  const base = demoBase();
  const model = applyLoRA(base.model, { r, targetModules: DEMO_VBLORA.target_modules, seed: 2, ...toyOptions(base) });
  const t0 = performance.now();
  const t = await trainAdapter(model, { batches, steps, optimizer: { otherLr: 1e-2 }, onStep });
  t.optimizer.dispose();
  return { base, model, lossHistory: t.lossHistory, ms: performance.now() - t0 };
}
