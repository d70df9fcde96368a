import {
  compareTensors,
  composeAdapter,
  mergeIntoStateDict,
  referenceBackend,
  type Backend,
  type HostTensor,
  type VBLoRAAdapter,
} from '@vblora/core';

/** A backend the demo tries, loaded only when asked (it may not be available on this machine). */
export interface BackendCandidate {
  readonly label: string;
  readonly load: () => Promise<Backend>;
}

/** One row of the parity table. */
export interface ParityRow {
  readonly backend: string;
  /** Max abs error vs the reference backend, or null when the backend could not run here. */
  readonly composeErr: number | null;
  readonly mergeErr: number | null;
  readonly ms: number;
  readonly note: string;
}

function maxErr(a: ReadonlyMap<string, HostTensor>, b: ReadonlyMap<string, HostTensor>): number {
  let m = 0;
  for (const [k, t] of b) m = Math.max(m, compareTensors(a.get(k)!, t, { atol: 0, rtol: 0 }).maxAbs);
  return m;
}

/**
 * Reloads the top-k adapter on each available backend: composes every module and merges it into the base state
 * dict, and compares both with the reference backend (max abs error), timing each backend's work.
 */
export async function parityTable(
  topk: VBLoRAAdapter,
  base: ReadonlyMap<string, HostTensor>,
  candidates: readonly BackendCandidate[],
): Promise<ParityRow[]> {
  const flat = (pairs: Map<string, { A: HostTensor; B: HostTensor }>) =>
    new Map([...pairs].flatMap(([p, { A, B }]) => [[`${p}.A`, A] as const, [`${p}.B`, B] as const]));
  const refCompose = flat(await composeAdapter(topk, { backend: referenceBackend }));
  const refMerge = await mergeIntoStateDict(topk, base, { backend: referenceBackend });
  const rows: ParityRow[] = [];
  for (const c of [{ label: 'reference', load: async () => referenceBackend }, ...candidates]) {
    let backend: Backend;
    try {
      backend = await c.load();
      if (!(await backend.isAvailable())) throw new Error('isAvailable() is false');
      await backend.init?.();
    } catch (err) {
      rows.push({
        backend: c.label,
        composeErr: null,
        mergeErr: null,
        ms: 0,
        note: `not available here: ${(err as Error).message.split('\n')[0]}`,
      });
      continue;
    }
    const t0 = performance.now();
    const composed = flat(await composeAdapter(topk, { backend }));
    const merged = await mergeIntoStateDict(topk, base, { backend });
    const ms = performance.now() - t0;
    rows.push({
      backend: c.label,
      composeErr: maxErr(composed, refCompose),
      mergeErr: maxErr(merged, refMerge),
      ms,
      note: '',
    });
  }
  return rows;
}
