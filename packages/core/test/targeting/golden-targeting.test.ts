import { describe, expect, it } from 'vitest';
import { resolveTargets, type TargetingConfig, type VBLoRAConfig } from '@vblora/core';
import { GOLDEN_CASES } from '../helpers/golden-paths.js';
import {
  baseTensorsInModelOrder,
  goldenModules,
  readSavedConfig,
  readSummary,
  toyModuleOrder,
} from './helpers/golden-case.js';

const ADAPTER_PREFIX = 'base_model.model.';

// Compile-time check: a whole adapter config is a valid targeting input.
const acceptsWholeConfig = (c: VBLoRAConfig): TargetingConfig => c;
void acceptsWholeConfig;

/** Module paths PEFT saved in full (modules_to_save): adapter keys that are neither VB-LoRA nor wrapped biases. */
function savedModules(keys: Record<string, unknown>): string[] {
  const paths = Object.keys(keys)
    .filter((k) => k.startsWith(ADAPTER_PREFIX) && !k.includes('vblora_') && !k.includes('.base_layer.'))
    .map((k) => k.slice(ADAPTER_PREFIX.length, k.lastIndexOf('.')));
  return [...new Set(paths)].sort();
}

describe.each(GOLDEN_CASES)('golden targeting %s', (c) => {
  const summary = readSummary(c);
  const result = resolveTargets(goldenModules(c), summary.config_kwargs as TargetingConfig);

  it('the module-order fixture lists exactly the weights of base.safetensors', () => {
    const owners = baseTensorsInModelOrder(c)
      .filter((t) => t.name.endsWith('.weight'))
      .map((t) => t.name.slice(0, -'.weight'.length));
    expect(owners).toEqual(toyModuleOrder(c));
  });

  it('targets the recorded modules in injection order', () => {
    expect(result.targets.map((t) => t.name)).toEqual(summary.targeted_modules);
  });

  it('gives each target the in/out features of its saved logits', () => {
    const vl = summary.config_kwargs['vector_length'] as number;
    for (const t of result.targets) {
      const [, a] = summary.adapter_full_keys[`${ADAPTER_PREFIX}${t.name}.vblora_logits_A`] ?? [];
      const [, b] = summary.adapter_full_keys[`${ADAPTER_PREFIX}${t.name}.vblora_logits_B`] ?? [];
      expect([t.inFeatures / vl, t.outFeatures / vl]).toEqual([a?.[1], b?.[0]]);
    }
  });

  it('wraps the modules saved in full as modules_to_save', () => {
    expect([...result.modulesToSave].sort()).toEqual(savedModules(summary.adapter_full_keys));
  });

  it('warns exactly as PEFT did in get_peft_model', () => {
    expect(result.warnings).toEqual(summary.warnings['get_peft_model']);
  });

  it('re-targets the same modules from the saved adapter_config.json (as a loader does)', () => {
    const again = resolveTargets(goldenModules(c), readSavedConfig(c) as TargetingConfig);
    expect(again.targets).toEqual(result.targets);
    expect(again.warnings).toEqual([]);
  });

  it('leaves the config as PEFT saved it (target_modules, fan_in_fan_out)', () => {
    const saved = readSavedConfig(c);
    const target = result.config.target_modules;
    if (typeof saved['target_modules'] === 'string') expect(target).toBe(saved['target_modules']);
    else expect([...(target as string[])].sort()).toEqual([...(saved['target_modules'] as string[])].sort());
    expect(result.config.fan_in_fan_out).toBe(saved['fan_in_fan_out']);
    for (const t of result.targets) expect(t.fanInFanOut).toBe(saved['fan_in_fan_out']);
  });
});
