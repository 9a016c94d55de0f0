/**
 * The session a message belongs to: GoReplay ids start with 16 hex digits naming the TCP connection
 * (client port, server port, client address), so a keep-alive session's requests and responses share
 * them. Everything that must keep a session together (partitioning, ordering) keys on this.
 */
export function sessionKeyOf(id: string): string {
  return id.slice(0, 16);
}
