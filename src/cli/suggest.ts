// "Did you mean …?" for mistyped objects, verbs and keywords: the closest
// candidate by edit distance (a swap of two neighbouring letters counts as
// one edit, so `porg` is one edit from `prog`), when it is close enough to be
// a typo rather than a different word.

/** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The candidate closest to `word`, if it is a plausible typo of it: at most
 * two edits, and fewer edits than the word has letters (so `x` suggests
 * nothing). Ties go to the earlier candidate (the tables' matching order).
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.min(2, word.length - 1);
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of candidates) {
    const dist = editDistance(word.toLowerCase(), c.toLowerCase());
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  return best;
}

/** ` (did you mean 'x'?)` when a candidate is close to `word`, else nothing. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const near = closest(word, candidates);
  return near === undefined ? "" : ` (did you mean '${near}'?)`;
}

/**
 * The end of an "unknown …" message: ` (did you mean 'prog'?)` when a
 * candidate is close, else ` (expected one of: a, b, c)`.
 */
export function suggestion(word: string, candidates: readonly string[]): string {
  const near = closest(word, candidates);
  return near !== undefined ? ` (did you mean '${near}'?)` : ` (expected one of: ${candidates.join(", ")})`;
}
