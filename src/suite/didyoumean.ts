/** Optimal-string-alignment edit distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const n = a.length;
  const m = b.length;
  if (n === 0) return m;
  if (m === 0) return n;
  const d: number[][] = [];
  for (let i = 0; i <= n; i++) {
    const row = new Array<number>(m + 1).fill(0);
    row[0] = i;
    d.push(row);
  }
  const at = (i: number, j: number): number => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let j = 0; j <= m; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= n; i++) {
    const row = d[i] as number[];
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      row[j] = v;
    }
  }
  return at(n, m);
}

/**
 * The candidate closest to `word`, if it is within `maxDistance` edits (or
 * differs only in case). Words of one or two letters need a closer match.
 * Failing that, a word of 4+ letters that starts exactly one candidate matches it.
 */
export function didYouMean(word: string, candidates: Iterable<string>, maxDistance = 2): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lower = word.toLowerCase();
  for (const c of candidates) {
    if (c === word) continue;
    const dist = c.toLowerCase() === lower ? 0.5 : editDistance(lower, c.toLowerCase());
    const limit = Math.min(word.length, c.length) <= 2 ? Math.min(1, maxDistance) : maxDistance;
    if (dist <= limit && dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  if (best === undefined && word.length >= 4) {
    // An abbreviation such as `minAvail` for `minAvailable`, when only one key fits.
    const prefixed = [...candidates].filter((c) => c !== word && c.toLowerCase().startsWith(lower));
    if (prefixed.length === 1) best = prefixed[0];
  }
  return best;
}
