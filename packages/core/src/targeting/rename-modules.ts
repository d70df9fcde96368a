/**
 * Maps backend layer names to PEFT module paths.
 * @module
 */
import { TargetingError } from '../errors.js';
import type { ModuleInfo } from './module-info.js';

/**
 * Renames every module with `map` (e.g. a tfjs layer `dense_3` to PEFT's `model.layers.0.mlp.up_proj`), keeping
 * order and everything else; throws a {@link TargetingError} when a result is empty or two modules get one name.
 */
export function renameModules(modules: readonly ModuleInfo[], map: (name: string) => string): ModuleInfo[] {
  const owners = new Map<string, string>();
  return modules.map((m) => {
    const name = map(m.name);
    if (typeof name !== 'string' || name === '') {
      throw new TargetingError(
        `renameModules: module ${JSON.stringify(m.name)} was mapped to ${JSON.stringify(name)}; expected a non-empty module path`,
      );
    }
    const previous = owners.get(name);
    if (previous !== undefined) {
      throw new TargetingError(
        `renameModules: modules ${JSON.stringify(previous)} and ${JSON.stringify(m.name)} both map to ${JSON.stringify(name)}`,
      );
    }
    owners.set(name, m.name);
    return { ...m, name };
  });
}
