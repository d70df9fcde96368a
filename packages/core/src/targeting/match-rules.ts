/**
 * PEFT's per-module decision (`check_target_module_exists`, `tuners_utils.py`), rule for rule: exclude_modules,
 * then modules_to_save, then target_modules, then layers_to_transform / layers_pattern.
 * @module
 */
import { ConfigError } from '../errors.js';
import { compilePythonRegex, type PythonMatchMode, type PythonRegex } from './python-regex.js';
import { pyStrRepr } from '../config/py-repr.js';

/** The matching fields, after `target_modules` has been resolved (never null here). */
export interface MatchRules {
  readonly targetModules: string | readonly string[];
  readonly excludeModules: string | readonly string[] | null;
  readonly modulesToSave: readonly string[] | null;
  readonly layersToTransform: number | readonly number[] | null;
  readonly layersPattern: string | readonly string[] | null;
}

/** Outcome of the rules for one module name. */
export type MatchOutcome = 'excluded' | 'targeted' | 'unmatched';

/** True when `name` is an entry or ends with `"." + entry` (PEFT's list rule for targets and exclusions). */
export function matchesSuffixList(name: string, entries: Iterable<string>): boolean {
  for (const e of entries) if (name === e || name.endsWith(`.${e}`)) return true;
  return false;
}

/**
 * Builds PEFT's decision function. Regexes compile on first use, as Python's `re` does, so a bad pattern only
 * fails when PEFT would evaluate it (e.g. `layers_pattern` is never compiled for a regex `target_modules`).
 */
export function createModuleMatcher(rules: MatchRules): (name: string) => MatchOutcome {
  const cache = new Map<string, PythonRegex>();
  const regex = (pattern: string, mode: PythonMatchMode, field: string, origin: string): PythonRegex => {
    const key = `${mode}\u0000${pattern}`;
    let re = cache.get(key);
    if (re === undefined) {
      re = compilePythonRegex(pattern, mode, field, origin);
      cache.set(key, re);
    }
    return re;
  };
  const { targetModules, excludeModules, modulesToSave, layersToTransform, layersPattern } = rules;
  const targetSet = typeof targetModules === 'string' ? null : new Set(targetModules);
  const usesLayerIndexes =
    layersToTransform !== null && (typeof layersToTransform === 'number' || layersToTransform.length > 0);

  return (name) => {
    if (typeof excludeModules === 'string') {
      if (
        excludeModules !== '' &&
        regex(excludeModules, 'fullmatch', 'exclude_modules', 'exclude_modules').test(name)
      ) {
        return 'excluded';
      }
    } else if (excludeModules !== null && matchesSuffixList(name, excludeModules)) return 'excluded';

    // Entries are spliced into the regex unescaped, exactly as PEFT does.
    for (const m of modulesToSave ?? []) {
      const origin = `modules_to_save entry ${JSON.stringify(m)}`;
      if (regex(`(^|.*\\.)${m}($|\\..*)`, 'match', 'modules_to_save', origin).test(name)) return 'excluded';
    }

    if (targetSet === null) {
      return regex(targetModules as string, 'fullmatch', 'target_modules', 'target_modules').test(name)
        ? 'targeted'
        : 'unmatched';
    }
    if (targetSet.has(name)) return 'targeted'; // a direct hit skips the layer filter (PEFT quirk)
    if (!matchesSuffixList(name, targetSet)) return 'unmatched';
    if (!usesLayerIndexes) return 'targeted';
    const index = layerIndexOf(name, layersPattern, regex);
    if (index === null) return 'unmatched';
    return (
      typeof layersToTransform === 'number'
        ? index === layersToTransform
        : (layersToTransform as readonly number[]).includes(index)
    )
      ? 'targeted'
      : 'unmatched';
  };
}

type RegexSource = (pattern: string, mode: PythonMatchMode, field: string, origin: string) => PythonRegex;

/**
 * PEFT's layer index of a module path: group 1 of `.*?\.[^.]*\.(\d+)\.` (the first numbered component that has
 * at least one component before its list), or of `.*?\.{pattern}\.(\d+)\.` for the first layers_pattern entry
 * that matches; null when none matches.
 */
function layerIndexOf(
  name: string,
  layersPattern: string | readonly string[] | null,
  regex: RegexSource,
): number | null {
  if (layersPattern === null || layersPattern.length === 0) {
    const m = regex('.*?\\.[^.]*\\.(\\d+)\\.', 'match', 'layers_pattern', 'the default layer pattern').exec(name);
    return m === null ? null : pyInt(m[1], 'the default layer pattern');
  }
  for (const pattern of typeof layersPattern === 'string' ? [layersPattern] : layersPattern) {
    const origin = `layers_pattern entry ${JSON.stringify(pattern)}`;
    const m = regex(`.*?\\.${pattern}\\.(\\d+)\\.`, 'match', 'layers_pattern', origin).exec(name);
    if (m !== null) return pyInt(m[1], origin);
  }
  return null;
}

/** Python's `int(text)` for the captured layer index (a capturing group inside layers_pattern shifts group 1). */
function pyInt(text: string | undefined, origin: string): number {
  const hint = `; PEFT reads the layer index from group 1, so write groups in ${origin} as (?:...)`;
  if (text === undefined) {
    throw new ConfigError(
      `int() argument must be a string, a bytes-like object or a real number, not 'NoneType'${hint}`,
      'layers_pattern',
    );
  }
  const m = /^[\s]*([+-]?)(\p{Nd}+(?:_\p{Nd}+)*)[\s]*$/u.exec(text);
  if (m === null)
    throw new ConfigError(`invalid literal for int() with base 10: ${pyStrRepr(text)}${hint}`, 'layers_pattern');
  let value = 0;
  for (const ch of (m[2] as string).replaceAll('_', '')) value = value * 10 + digitValue(ch.codePointAt(0) as number);
  return m[1] === '-' ? -value : value;
}

/** Value of a Unicode decimal digit: Nd digits come in contiguous runs that start at zero. */
function digitValue(c: number): number {
  let start = c;
  while (/^\p{Nd}$/u.test(String.fromCodePoint(start - 1))) start--;
  return (c - start) % 10;
}
