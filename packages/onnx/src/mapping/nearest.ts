/**
 * Nearest names for "did you mean" messages: edit distance between a wanted module path and what the graph has.
 * @module
 */

/** Levenshtein distance (insertions, deletions, substitutions of UTF-16 units). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The `count` candidates closest to `wanted`, best first (ties keep the candidates' order). */
export function nearestNames(wanted: string, candidates: Iterable<string>, count = 5): string[] {
  const scored = [...new Set(candidates)].map((c, i) => ({ c, i, d: editDistance(wanted, c) }));
  scored.sort((x, y) => x.d - y.d || x.i - y.i);
  return scored.slice(0, count).map((s) => s.c);
}
