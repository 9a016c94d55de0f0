import { distance } from 'fastest-levenshtein';

/** "Did you mean": the closest candidates by edit distance, for unknown flags and keys. */
export function suggest(word: string, candidates: Iterable<string>, max = 3): string[] {
  const scored: Array<[string, number]> = [];
  for (const candidate of candidates) {
    const edits = distance(word, candidate);
    const limit = Math.max(2, Math.floor(candidate.length / 3));
    if (edits <= limit || candidate.startsWith(word) || (word.length > 5 && candidate.includes(word))) {
      scored.push([candidate, edits]);
    }
  }
  return scored
    .sort((a, b) => a[1] - b[1])
    .slice(0, max)
    .map(([c]) => c);
}
