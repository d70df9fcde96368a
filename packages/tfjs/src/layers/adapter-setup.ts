/**
 * Setting adapters up: a new adapter's config after PEFT's targeting, the variables training updates (grouped for
 * separate learning rates), and PEFT's refusal to train logits rebuilt from a top-k checkpoint.
 * @internal
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { createConfig, resolveTargets, topkResumeError, type TargetedModule, type VBLoRAConfig } from '@vblora/core';
import type { VariableGroups } from '../training/trainable.js';
import type { AdapterWeights } from './adapter-weights.js';
import { denseVariables } from './dense-weights.js';
import { moduleInfos, type ModelModule } from './module-paths.js';
import type { SavedModule } from './saved-module.js';

/** A new adapter's config as PEFT leaves it after injection, with the targets and PEFT's warnings. */
export function targetedConfig(
  modules: readonly ModelModule[],
  partial: Partial<VBLoRAConfig>,
): { config: VBLoRAConfig; targets: TargetedModule[]; modulesToSave: string[]; warnings: string[] } {
  const base = createConfig(partial);
  const found = resolveTargets(moduleInfos(modules), base);
  return {
    config: { ...base, target_modules: found.config.target_modules, fan_in_fan_out: found.config.fan_in_fan_out },
    targets: found.targets,
    modulesToSave: found.modulesToSave,
    warnings: found.warnings,
  };
}

/**
 * The variables training updates for these adapters: logits, banks, and per `bias` (every Dense bias for `all`,
 * the adapted layers' for `*_only`) and modules_to_save, the rest.
 */
export function variableGroups(
  adapters: readonly AdapterWeights[],
  modules: readonly ModelModule[],
  saved: ReadonlyMap<string, SavedModule>,
): VariableGroups {
  const groups: VariableGroups = { logits: [], bank: [], other: [] };
  for (const w of adapters) {
    groups.logits.push(...w.logitsVariables());
    groups.bank.push(w.bank);
    if (w.config.bias !== 'none') {
      for (const m of modules) {
        if (m.kind === 'other' || !m.hasBias || (w.config.bias !== 'all' && !w.modules.has(m.path))) continue;
        groups.other.push(denseVariables(m.layer).bias!.read() as tf.Variable);
      }
    }
    for (const s of saved.values()) {
      const c = s.copies.get(w.name);
      if (c !== undefined) groups.other.push(c.kernel, ...(c.bias === null ? [] : [c.bias]));
    }
  }
  return groups;
}

/**
 * Throws PEFT's error when an adapter cannot be trained: read from a top-k checkpoint, or holding ±inf logits
 * (rebuilt from one, SPEC §4.2).
 */
export function assertTrainable(w: AdapterWeights): void {
  const finite =
    w.hasLogits && w.logitsVariables().every((v) => tf.tidy(() => tf.all(tf.isFinite(v)).dataSync()[0] === 1));
  if (!finite) throw topkResumeError({ adapter: w.name });
}
