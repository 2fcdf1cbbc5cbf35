/**
 * "Did you mean …?": the closest known word to a mistyped command, flag or cluster name,
 * by edit distance (a typo, a swapped pair, a missing letter) or a shared prefix.
 */

/** Damerau–Levenshtein distance (optimal string alignment) between two words. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => {
    const row = new Array<number>(cols).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j < cols; j++) d[0][j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[rows - 1][cols - 1];
}

/**
 * The known words closest to `word` (at most three), best first: within an edit
 * distance of a third of the word's length (at least 1, at most 3), or starting with it.
 */
export function closest(word: string, known: Iterable<string>): string[] {
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  const scored: { name: string; score: number }[] = [];
  const lower = word.toLowerCase();
  for (const name of new Set(known)) {
    if (name === word) continue;
    const distance = editDistance(lower, name.toLowerCase());
    if (distance <= limit) scored.push({ name, score: distance });
    else if (lower.length >= 2 && name.toLowerCase().startsWith(lower)) {
      scored.push({ name, score: limit + 1 });
    }
  }
  scored.sort((x, y) => x.score - y.score || x.name.localeCompare(y.name));
  return scored.slice(0, 3).map((s) => s.name);
}

/** `; did you mean 'x'?` / `; did you mean 'x' or 'y'?`, or "" when nothing is close. */
export function didYouMean(word: string, known: Iterable<string>, quote = "'"): string {
  const found = closest(word, known).map((n) => `${quote}${n}${quote}`);
  if (found.length === 0) return "";
  const list = found.length === 1
    ? found[0]
    : `${found.slice(0, -1).join(", ")} or ${found[found.length - 1]}`;
  return `; did you mean ${list}?`;
}
