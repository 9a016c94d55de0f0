/**
 * A message's TCP session. GoReplay's ids put the connection in the first 8 bytes (client port, server
 * port, client IPv4) and the exchange in the last 4, so every request of one keep-alive connection shares
 * the first 16 hex digits. Ids without that layout (random ids) are simply sessions of one request.
 */
export function sessionKeyOf(id: string): string {
  return id.slice(0, 16);
}

/** A stable share index for a session, 0 ≤ index < shares (FNV-1a over the session key). */
export function sessionShareOf(id: string, shares: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < 16 && i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shares;
}
