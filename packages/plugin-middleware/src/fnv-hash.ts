/**
 * FNV-1a, 32 bits: the hash GoReplay's header and param limiters use, so the same user ids are kept by
 * reprise and by GoReplay. It runs over the raw bytes, given as a latin1 string (one char per byte),
 * which is how the modifiers read header values and query strings.
 */
export function fnv1a32(bytes: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes.charCodeAt(i) & 0xff;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** True when a value falls inside the sampled share: GoReplay keeps it when `hash % 100 < percent`. */
export function isSampledIn(value: string, percent: number): boolean {
  return fnv1a32(value) % 100 < percent;
}
