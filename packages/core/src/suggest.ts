/** "Did you mean": the closest candidates by edit distance, for unknown flags and keys. */
export function suggest(word: string, candidates: Iterable<string>, max = 3): string[] {
  const scored: Array<[string, number]> = [];
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    const limit = Math.max(2, Math.floor(candidate.length / 3));
    if (distance <= limit || candidate.startsWith(word) || (word.length > 5 && candidate.includes(word))) {
      scored.push([candidate, distance]);
    }
  }
  return scored.sort((a, b) => a[1] - b[1]).slice(0, max).map(([c]) => c);
}

export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
