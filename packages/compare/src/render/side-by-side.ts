/**
 * Two values as aligned lines for a side-by-side diff: JSON is pretty-printed first, then the lines
 * are matched by their longest common subsequence. Bounded: long values are cut to `maxLines`.
 */
export interface DiffRow {
  left: string | null;
  right: string | null;
  /** `same`, or which side has a line the other lacks or changed. */
  change: 'same' | 'changed' | 'removed' | 'added';
}

function lines(value: string | null, maxLines: number): string[] {
  if (value === null) return [];
  let text = value;
  try {
    text = JSON.stringify(JSON.parse(value), null, 2);
  } catch {
    // not JSON: compared as text
  }
  const all = text.split('\n');
  return all.length > maxLines ? [...all.slice(0, maxLines), `… ${all.length - maxLines} more lines`] : all;
}

export function sideBySide(baseline: string | null, candidate: string | null, maxLines = 200): DiffRow[] {
  const a = lines(baseline, maxLines);
  const b = lines(candidate, maxLines);
  // lengths[i][j]: LCS length of a[i..] and b[j..]
  const lengths = Array.from({ length: a.length + 1 }, () => new Uint16Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i]![j] = a[i] === b[j] ? lengths[i + 1]![j + 1]! + 1 : Math.max(lengths[i + 1]![j]!, lengths[i]![j + 1]!);
    }
  }
  const rows: DiffRow[] = [];
  let i = 0;
  let j = 0;
  const removed: string[] = [];
  const added: string[] = [];
  // Removed and added lines between two common ones are paired up as changed lines.
  const pair = () => {
    const n = Math.max(removed.length, added.length);
    for (let k = 0; k < n; k++) {
      const left = removed[k] ?? null;
      const right = added[k] ?? null;
      rows.push({ left, right, change: left !== null && right !== null ? 'changed' : left !== null ? 'removed' : 'added' });
    }
    removed.length = 0;
    added.length = 0;
  };
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      pair();
      rows.push({ left: a[i]!, right: b[j]!, change: 'same' });
      i++;
      j++;
    } else if (j >= b.length || (i < a.length && lengths[i + 1]![j]! >= lengths[i]![j + 1]!)) {
      removed.push(a[i++]!);
    } else {
      added.push(b[j++]!);
    }
  }
  pair();
  return rows;
}
