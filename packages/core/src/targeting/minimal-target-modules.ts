/**
 * PEFT's `_find_minimal_target_modules` (`tuners_utils.py`): a long `target_modules` list (20 entries or more,
 * e.g. after `"all-linear"`) is condensed to the fewest suffixes that still separate the targets from every other
 * module, and the condensed set is what matching uses and what PEFT saves.
 * @module
 */
import { ConfigError } from '../errors.js';

/** PEFT's `MIN_TARGET_MODULES_FOR_OPTIMIZATION`: lists at least this long are condensed. */
export const MIN_TARGET_MODULES_FOR_OPTIMIZATION = 20;

/**
 * Condenses `targetModules` to a minimal set of dot-suffixes none of which is a suffix of `otherModuleNames`;
 * returns the targets unchanged (deduplicated) when nothing shorter exists. Same order of search as PEFT.
 */
export function findMinimalTargetModules(
  targetModules: readonly string[],
  otherModuleNames: readonly string[],
): string[] {
  if (targetModules.length === 0)
    throw new ConfigError('target_modules should be a list or set of strings.', 'target_modules');
  const targets = [...new Set(targetModules)];
  if (targets.includes(''))
    throw new ConfigError('target_modules should not contain an empty string.', 'target_modules');
  const others = new Set(otherModuleNames);
  if (targets.some((t) => others.has(t))) {
    throw new ConfigError(
      'target_modules and other_module_names contain common elements, this should not happen, please open a GitHub ' +
        'issue at https://github.com/huggingface/peft/issues with the code to reproduce this issue',
      'target_modules',
    );
  }
  const otherSuffixes = new Set<string>();
  for (const name of others) for (const s of suffixes(name)) otherSuffixes.add(s);
  const candidates = targets.map((item) => ({ item, suffixes: suffixes(item) }));
  candidates.sort((a, b) => compareLists(a.suffixes, b.suffixes)); // PEFT sorts for determinism
  const required: string[] = [];
  const requiredSet = new Set<string>();
  for (const { item, suffixes: options } of candidates) {
    for (const suffix of options) {
      if (requiredSet.has(suffix) || otherSuffixes.has(suffix)) continue;
      if (!required.some((r) => item.endsWith(`.${r}`))) {
        required.push(suffix);
        requiredSet.add(suffix);
        break;
      }
    }
  }
  return required.length === 0 ? targets : required;
}

/** `a.b.c` -> `['c', 'b.c', 'a.b.c']`: the dot-suffixes, shortest first. */
function suffixes(name: string): string[] {
  const parts = name.split('.');
  return parts.map((_, i) => parts.slice(i).join('.')).reverse();
}

/** Python's ordering of lists of str (element-wise, by code point; a prefix sorts first). */
function compareLists(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareCodePoints(a[i] as string, b[i] as string);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const x = Array.from(a, (ch) => ch.codePointAt(0) as number);
  const y = Array.from(b, (ch) => ch.codePointAt(0) as number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  }
  return x.length - y.length;
}
