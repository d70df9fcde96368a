import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  NumericalError,
  nonFiniteText,
  type LoadedAdapter,
} from '@vblora/core';
import { adapterFolder, readAdapterDir, refuseAliasedOutputs } from '@vblora/core/node';
import { join } from 'node:path';
import type { CliOptions } from '../main.js';
import { maxMemoryOption } from './memory-option.js';

/** What the adapter-reading commands take from the command line besides the adapter. */
export interface InputLimits {
  /** `--adapter NAME`, default `default`. */
  readonly name: string;
  /** `--max-memory`, in bytes. */
  readonly maxMemoryBytes: number;
  /** `--allow-non-finite`. */
  readonly allowNonFinite: boolean;
}

/** Reads `--adapter`, `--max-memory` and `--allow-non-finite` (usage errors first, before any file is touched). */
export function inputLimits(options: CliOptions, command: string): InputLimits {
  return {
    name: options.adapter ?? 'default',
    maxMemoryBytes: maxMemoryOption(options['max-memory'], command),
    allowNonFinite: options['allow-non-finite'] === true,
  };
}

/** The paths an adapter command reads: the adapter's folder and its two files. */
export function adapterInputs(dir: string, name: string): string[] {
  const folder = adapterFolder(dir, name);
  return [folder, join(folder, ADAPTER_CONFIG_FILE), join(folder, ADAPTER_WEIGHTS_FILE)];
}

/**
 * Refuses outputs that are one of the inputs (the adapter's folder or files, and any `extra` input such as a
 * base model), through any link or hard link: checked before anything is read or written.
 * @throws {PathError} `output-aliases-input`.
 */
export async function refuseOutputsOverInputs(
  outputs: readonly string[],
  dir: string,
  name: string,
  extra: readonly string[] = [],
): Promise<void> {
  await refuseAliasedOutputs(outputs, [...adapterInputs(dir, name), ...extra]);
}

/**
 * Reads the adapter a command works on, within the memory budget, and refuses one whose bank, logits or top-k
 * weights hold NaN/±Inf (or a logits row of only −inf) unless `--allow-non-finite`: composed, merged or converted,
 * it would silently give NaN.
 * @throws {NumericalError} naming the first such tensor and index (`where` = the tensor).
 */
export async function readInputAdapter(dir: string, limits: InputLimits, command: string): Promise<LoadedAdapter> {
  const loaded = await readAdapterDir(dir, limits.name, { maxMemoryBytes: limits.maxMemoryBytes });
  if (limits.allowNonFinite) return loaded;
  const found = loaded.nonFinite;
  const first = found[0];
  if (first !== undefined) {
    const more = found.length > 1 ? ` (and in ${found.length - 1} more tensor${found.length > 2 ? 's' : ''})` : '';
    throw new NumericalError(
      `${command}: ${nonFiniteText(first)}${more}; the result would hold NaN. Pass --allow-non-finite to ${command} it anyway`,
      first.tensor,
    );
  }
  return loaded;
}
