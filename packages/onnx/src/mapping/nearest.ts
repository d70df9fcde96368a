/**
 * Nearest names for "did you mean" messages: edit distance between a wanted module path and what the graph has.
 * The names come from the model, so the work is bounded: at most {@link MAX_COMPARED} UTF-16 units of each name
 * are compared, at most {@link MAX_CANDIDATES} names are scored, and a score is abandoned as soon as it cannot
 * enter the list (otherwise a model of long names would make an error message take minutes).
 * @module
 */

/** Units of each name that are compared (real module paths and node names are far shorter). */
export const MAX_COMPARED = 128;
/** Distinct candidates scored (the first ones, in the graph's order). */
export const MAX_CANDIDATES = 100_000;

/**
 * Levenshtein distance (insertions, deletions, substitutions of UTF-16 units). With `limit`, any result above it
 * comes back as `limit + 1` as soon as that is certain.
 */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (cur[j]! < best) best = cur[j]!;
    }
    if (best > limit) return limit + 1; // every later row is at least this row's minimum
    prev = cur;
  }
  return prev[b.length]!;
}

/** The `count` candidates closest to `wanted`, best first (ties keep the candidates' order). */
export function nearestNames(wanted: string, candidates: Iterable<string>, count = 5): string[] {
  const target = wanted.slice(0, MAX_COMPARED);
  const seen = new Set<string>();
  const best: { c: string; i: number; d: number }[] = [];
  for (const c of candidates) {
    if (seen.has(c)) continue;
    if (seen.size >= MAX_CANDIDATES) break;
    seen.add(c);
    const limit = best.length < count ? Infinity : best[best.length - 1]!.d - 1; // must beat the worst kept (ties: earlier wins)
    const d = editDistance(target, c.slice(0, MAX_COMPARED), limit);
    if (d > limit) continue;
    best.push({ c, i: seen.size, d });
    best.sort((x, y) => x.d - y.d || x.i - y.i);
    if (best.length > count) best.pop();
  }
  return best.map((s) => s.c);
}
