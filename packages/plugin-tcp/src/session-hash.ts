/**
 * A message id's first 16 hex digits name its TCP connection (client port, server port, client
 * address, as GoReplay's capture writes them); the last 8 count the requests within it.
 */
export const SESSION_ID_LENGTH = 16;

/** The worker a message goes to with --output-tcp-sticky: the same for every message of a session. */
export function stickyWorkerIndex(id: string, workers: number): number {
  // FNV-1a, 32 bits (GoReplay hashes ids with it too).
  let hash = 0x811c9dc5;
  const end = Math.min(SESSION_ID_LENGTH, id.length);
  for (let i = 0; i < end; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % workers;
}
