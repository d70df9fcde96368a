/**
 * Test-only builders of module lists.
 */
import type { ModuleInfo } from '@vblora/core';

/** A Linear module (in, out default 64). */
export const linear = (name: string, inFeatures = 64, outFeatures = 64): ModuleInfo => ({
  name,
  kind: 'linear',
  inFeatures,
  outFeatures,
  hasBias: false,
});

/** A GPT-2 Conv1D module. */
export const conv1d = (name: string, inFeatures = 64, outFeatures = 64): ModuleInfo => ({
  name,
  kind: 'conv1d',
  inFeatures,
  outFeatures,
  hasBias: true,
});

/** A module PEFT cannot wrap (embedding, norm, container). */
export const other = (name: string): ModuleInfo => ({
  name,
  kind: 'other',
  inFeatures: 0,
  outFeatures: 0,
  hasBias: false,
});

/** Linear q/k/v/o and up/down projections of `layers` Llama-style blocks under `model.layers`. */
export function llamaModules(layers: number): ModuleInfo[] {
  const out: ModuleInfo[] = [];
  for (let i = 0; i < layers; i++) {
    for (const p of ['q_proj', 'k_proj', 'v_proj', 'o_proj']) out.push(linear(`model.layers.${i}.self_attn.${p}`));
    out.push(linear(`model.layers.${i}.mlp.up_proj`, 64, 128), linear(`model.layers.${i}.mlp.down_proj`, 128, 64));
  }
  return out;
}

/** Names of the targets of a resolveTargets result. */
export const names = (r: { targets: readonly { name: string }[] }): string[] => r.targets.map((t) => t.name);
