/**
 * PEFT's `BaseTuner.inject_adapter` for VB-LoRA, minus the tensors: which modules get an adapter, which are
 * saved in full, what PEFT warns about, and how it rewrites the config.
 * @module
 */
import { ConfigError, TargetingError } from '../errors.js';
import { checkTargetDims } from './check-target-dims.js';
import { VBLORA_DEFAULT_TARGET_MODULES } from './default-target-modules.js';
import { createModuleMatcher, matchesSuffixList } from './match-rules.js';
import { findMinimalTargetModules, MIN_TARGET_MODULES_FOR_OPTIMIZATION } from './minimal-target-modules.js';
import type { ModuleInfo } from './module-info.js';
import { pySetStr, pyStr } from '../config/py-repr.js';
import type { ResolveTargetsOptions, TargetedModule, TargetingConfig, TargetingResult } from './targeting-config.js';
import { normalizeTargeting, type NormalizedTargeting } from './targeting-input.js';

/** PEFT's `DUMMY_TARGET_MODULES`: matches nothing and raises no error. */
export const DUMMY_TARGET_MODULES = 'dummy-target-modules';
/** PEFT's `INCLUDE_LINEAR_LAYERS_SHORTHAND` (compared case-insensitively). */
export const ALL_LINEAR = 'all-linear';

const LINEAR_FAN_WARNING =
  'fan_in_fan_out is set to True but the target module is `torch.nn.Linear`. Setting fan_in_fan_out to False.';
const CONV1D_FAN_WARNING =
  'fan_in_fan_out is set to False but the target module is `Conv1D`. Setting fan_in_fan_out to True.';

/**
 * Decides, with PEFT's rules and in PEFT's order (SPEC §2), which modules get a VB-LoRA adapter.
 * Modules are visited in the given order (PEFT's `named_modules()` order). Throws {@link TargetingError} with
 * PEFT's texts when nothing is targeted or a target is neither Linear nor Conv1D, and {@link ConfigError} for
 * PEFT's config errors (no default `target_modules`, rank/top-k/`vector_length` checks, bad regexes).
 *
 * @example
 * ```ts
 * const modules = modulesFromStateDict(header.tensors, { kindOf: gpt2Conv1dKind });
 * const { targets, config } = resolveTargets(modules, { target_modules: ['c_attn'], vector_length: 16 });
 * ```
 */
export function resolveTargets<C extends TargetingConfig>(
  modules: readonly ModuleInfo[],
  config: C,
  options: ResolveTargetsOptions = {},
): TargetingResult<C> {
  checkModules(modules);
  const cfg = normalizeTargeting(config);
  const warnings = new Set<string>();
  const targetModules = effectiveTargetModules(modules, cfg, options);
  const finish = (targets: TargetedModule[], fan: boolean): TargetingResult<C> => ({
    targets,
    modulesToSave: modulesToSave(modules, cfg.modules_to_save),
    warnings: [...warnings],
    config: {
      ...config,
      target_modules: typeof targetModules === 'string' ? targetModules : [...targetModules],
      fan_in_fan_out: fan,
    },
  });
  if (targetModules === DUMMY_TARGET_MODULES) return finish([], cfg.fan_in_fan_out);

  const matcher = createModuleMatcher({
    targetModules,
    excludeModules: cfg.exclude_modules,
    modulesToSave: cfg.modules_to_save,
    layersToTransform: cfg.layers_to_transform,
    layersPattern: cfg.layers_pattern,
  });
  const targets: TargetedModule[] = [];
  let excluded = 0;
  let unmatched = 0;
  let fan = cfg.fan_in_fan_out;
  for (const m of modules) {
    const outcome = matcher(m.name);
    if (outcome === 'excluded') excluded++;
    else if (outcome === 'unmatched') unmatched++;
    else {
      if (m.kind === 'other') {
        throw new TargetingError(
          `Target module ${m.name} is not supported. Currently, only the following modules are supported: ` +
            '`torch.nn.Linear`, `transformers.pytorch_utils.Conv1D`.',
        );
      }
      // PEFT flips the shared config per layer; each layer keeps the value it saw, the config keeps the last.
      if (m.kind === 'linear' && fan) warnings.add(LINEAR_FAN_WARNING);
      if (m.kind === 'conv1d' && !fan) warnings.add(CONV1D_FAN_WARNING);
      fan = m.kind === 'conv1d';
      checkTargetDims(m, cfg);
      targets.push({
        name: m.name,
        kind: m.kind,
        inFeatures: m.inFeatures,
        outFeatures: m.outFeatures,
        fanInFanOut: fan,
      });
    }
  }
  if (targets.length === 0) throw new TargetingError(noMatchMessage(cfg, targetModules, excluded, unmatched));
  const exclude = cfg.exclude_modules;
  if (exclude !== null && exclude.length > 0 && excluded === 0) {
    warnings.add(
      `You have passed exclude_modules=${pySetStr(exclude)} but no modules were excluded. ` +
        'Please check that exclude_modules was set correctly.',
    );
  }
  return finish(targets, fan);
}

/** `target_modules` as PEFT uses it for matching: model-type default, `"all-linear"` expanded, long lists condensed. */
function effectiveTargetModules(
  modules: readonly ModuleInfo[],
  cfg: NormalizedTargeting,
  options: ResolveTargetsOptions,
): string | readonly string[] {
  let target = cfg.target_modules;
  if (target === null) {
    const modelType = options.modelType ?? 'custom';
    target = Object.hasOwn(VBLORA_DEFAULT_TARGET_MODULES, modelType)
      ? (VBLORA_DEFAULT_TARGET_MODULES[modelType] ?? null)
      : null;
    if (target === null) throw new ConfigError('Please specify `target_modules` in `peft_config`', 'target_modules');
  }
  if (typeof target === 'string') {
    if (target.toLowerCase() !== ALL_LINEAR) return target;
    target = modules.filter((m) => m.kind !== 'other' && m.name !== options.outputEmbedding).map((m) => m.name);
  }
  const list = [...new Set(target)]; // PEFT holds lists as sets
  if (list.length < MIN_TARGET_MODULES_FOR_OPTIMIZATION) return list;
  const inList = new Set(list);
  const others = modules.filter((m) => !inList.has(m.name) && !matchesSuffixList(m.name, list)).map((m) => m.name);
  const condensed = findMinimalTargetModules(list, others);
  return condensed.length < list.length ? condensed : list;
}

/** PEFT's `_set_trainable` rule: a module is wrapped when its name ends with an entry (plain `endswith`, no dot). */
function modulesToSave(modules: readonly ModuleInfo[], entries: readonly string[] | null): string[] {
  if (entries === null || entries.length === 0) return [];
  return modules.filter((m) => entries.some((e) => m.name.endsWith(e))).map((m) => m.name);
}

/** PEFT's `NoMatchingPeftModuleError` texts (`inject_adapter`). */
function noMatchMessage(
  cfg: NormalizedTargeting,
  targetModules: string | readonly string[],
  excluded: number,
  unmatched: number,
): string {
  if (excluded > 0 && unmatched === 0) {
    return (
      'All modules were excluded. This is likely unintended. ' +
      'Check your `target_modules`, `exclude_modules` and `modules_to_save` configuration.'
    );
  }
  if (excluded === 0 && unmatched > 0 && targetModules.length === 0) {
    return 'No `target_modules` passed but also no `target_parameters` found. Please check the values for these arguments.';
  }
  let notes = '';
  if (cfg.layers_to_transform !== null)
    notes += ` Note: You specified 'layers_to_transform': ${pyStr(cfg.layers_to_transform)}.`;
  if (cfg.layers_pattern !== null) notes += ` You also specified 'layers_pattern': ${pyStr(cfg.layers_pattern)}.`;
  if (excluded === 0 && unmatched > 0) {
    return (
      `Target modules ${pySetStr(targetModules)} not found in the base model. ` +
      `Please check the target modules and try again.${notes}`
    );
  }
  return (
    'No modules were targeted for adaptation. ' +
    'This might be caused by a combination of mismatched target modules and excluded modules. ' +
    'Please check your `target_modules` and `exclude_modules` configuration. You may also have ' +
    `only targeted modules that are marked to be saved (\`modules_to_save\`).${notes}`
  );
}

function checkModules(modules: readonly ModuleInfo[]): void {
  if (!Array.isArray(modules)) throw new TargetingError(`expected an array of modules; got ${typeof modules}`);
  const names = new Set<string>();
  for (const m of modules) {
    const where = `module ${JSON.stringify(m?.name)}`;
    if (typeof m?.name !== 'string' || m.name === '') throw new TargetingError(`${where}: expected a non-empty name`);
    if (names.has(m.name)) throw new TargetingError(`${where} is listed twice; module paths must be unique`);
    names.add(m.name);
    if (m.kind !== 'linear' && m.kind !== 'conv1d' && m.kind !== 'other') {
      throw new TargetingError(`${where}: kind ${JSON.stringify(m.kind)} is not 'linear', 'conv1d' or 'other'`);
    }
    if (
      !Number.isSafeInteger(m.inFeatures) ||
      !Number.isSafeInteger(m.outFeatures) ||
      m.inFeatures < 0 ||
      m.outFeatures < 0
    ) {
      throw new TargetingError(`${where}: inFeatures/outFeatures must be non-negative integers`);
    }
  }
}
