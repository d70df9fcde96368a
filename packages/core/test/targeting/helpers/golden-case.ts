/**
 * Test-only access to what a golden case recorded: summary.json, the saved config, and the base model's modules
 * in PEFT's injection order.
 */
import { readFileSync } from 'node:fs';
import { gpt2Conv1dKind, modulesFromStateDict, type ModuleInfo } from '@vblora/core';
import { goldenPath, type GoldenCase } from '../../helpers/golden-paths.js';
import { readSafetensorsHeader, type HeaderTensor } from './safetensors-header.js';

const order = JSON.parse(readFileSync(new URL('../fixtures/toy-module-order.json', import.meta.url), 'utf8')) as Record<
  GoldenSummary['model'],
  string[]
>;

/** The parts of summary.json these tests read. */
export interface GoldenSummary {
  readonly model: 'llama' | 'gpt2' | 'linear';
  readonly config_kwargs: Record<string, unknown>;
  readonly targeted_modules: string[];
  readonly warnings: Record<string, string[]>;
  readonly trainable_parameters: { trainable: number; all: number };
  readonly stdout: { print_trainable_parameters: string };
  readonly savable_parameters_topk_False: { vblora_params: number; other_params: number; print: string };
  readonly savable_parameters_topk_True: { vblora_params: number; other_params: number; print: string };
  readonly adapter_full_keys: Record<string, [string, number[]]>;
  readonly adapter_topk_keys: Record<string, [string, number[]]>;
}

/** summary.json of a case (Python's json writes bare NaN/Infinity values, which we read as null). */
export function readSummary(c: GoldenCase): GoldenSummary {
  const text = readFileSync(goldenPath(c, 'summary.json'), 'utf8');
  return JSON.parse(text.replace(/:\s*(-?Infinity|NaN)(?=\s*[,}\]])/g, ': null')) as GoldenSummary;
}

/** adapter_config.json of a case's full checkpoint. */
export function readSavedConfig(c: GoldenCase): Record<string, unknown> {
  return JSON.parse(readFileSync(goldenPath(c, 'adapter_full', 'adapter_config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
}

/** base.safetensors tensors, reordered to the toy model's named_modules() order. */
export function baseTensorsInModelOrder(c: GoldenCase): HeaderTensor[] {
  const model = readSummary(c).model;
  const modules: string[] = order[model];
  const owner = (t: HeaderTensor): string => t.name.slice(0, t.name.lastIndexOf('.'));
  const tensors = readSafetensorsHeader(goldenPath(c, 'base.safetensors')).tensors;
  const rank = (t: HeaderTensor): number => modules.indexOf(owner(t)) * 2 + (t.name.endsWith('.bias') ? 1 : 0);
  return [...tensors].sort((a, b) => rank(a) - rank(b));
}

/** The base model's modules as PEFT walks them. */
export function goldenModules(c: GoldenCase): ModuleInfo[] {
  const model = readSummary(c).model;
  return modulesFromStateDict(baseTensorsInModelOrder(c), model === 'gpt2' ? { kindOf: gpt2Conv1dKind } : {});
}

/** Names of the toy model's weight-bearing modules in named_modules() order (the fixture). */
export function toyModuleOrder(c: GoldenCase): string[] {
  return order[readSummary(c).model];
}
