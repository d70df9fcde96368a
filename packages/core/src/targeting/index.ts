/**
 * Module targeting with PEFT's exact rules: which modules of a base model get a VB-LoRA adapter.
 * @module
 */
export type { ModuleInfo, ModuleKind } from './module-info.js';
export {
  modulesFromStateDict,
  type ModulesFromStateDictOptions,
  type StateDictEntry,
} from './modules-from-state-dict.js';
export { gpt2Conv1dKind } from './gpt2-kind.js';
export { renameModules } from './rename-modules.js';
export type {
  ResolvedTargetingConfig,
  ResolveTargetsOptions,
  TargetedModule,
  TargetingConfig,
  TargetingResult,
} from './targeting-config.js';
export { resolveTargets, ALL_LINEAR, DUMMY_TARGET_MODULES } from './resolve-targets.js';
export { checkTargetDims, type TargetDims } from './check-target-dims.js';
export { matchesSuffixList } from './match-rules.js';
export { findMinimalTargetModules, MIN_TARGET_MODULES_FOR_OPTIMIZATION } from './minimal-target-modules.js';
export { VBLORA_DEFAULT_TARGET_MODULES } from './default-target-modules.js';
export { compilePythonRegex, BACKTRACK_BUDGET, type PythonMatchMode, type PythonRegex } from './python-regex.js';
