/**
 * FNV-1a, 32 bits, over a string's UTF-8 bytes: the hash GoReplay's header and param limiters use,
 * so the same user ids are kept by reprise and by GoReplay.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i]!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** True when a value falls inside the sampled share: GoReplay keeps it when `hash % 100 < percent`. */
export function isSampledIn(value: string, percent: number): boolean {
  return fnv1a32(value) % 100 < percent;
}
