import type { Backend } from '@vblora/core';
import { NAMED_BACKENDS, isBackendName } from '@vblora/cli/backends';

/**
 * Backends the bench knows how to start, by name: the `vblora` command's table (`@vblora/cli/backends`), so a name
 * means the same backend here as in `vblora compose --backend` (`cpu` is `@vblora/cpu`, `tfjs-cpu` tf.js's cpu).
 */
export const BENCH_BACKENDS: Readonly<Record<string, () => Promise<Backend>>> = Object.fromEntries(
  Object.entries(NAMED_BACKENDS).map(([name, b]) => [name, b.load]),
);

/** Starts the named backends; a backend that cannot run here is reported through `skipped`, not thrown. */
export async function loadBackends(
  names: readonly string[],
  skipped: (name: string, why: string) => void,
): Promise<Backend[]> {
  const out: Backend[] = [];
  for (const name of names) {
    if (!isBackendName(name))
      throw new Error(`unknown backend "${name}"; known: ${Object.keys(BENCH_BACKENDS).join(', ')}`);
    const load = NAMED_BACKENDS[name].load;
    try {
      const b = await load();
      if (!(await b.isAvailable())) throw new Error('isAvailable() is false');
      await b.init?.();
      out.push(b);
    } catch (err) {
      skipped(name, (err as Error).message.split('\n')[0] ?? 'failed to start');
    }
  }
  return out;
}
