/**
 * GoReplay's capture switches turned into what our engines take: the snaplen, immediate mode for a
 * short buffer timeout, and tcpdump's name for a timestamp type. Pure, so each rule is tested alone.
 */

/** tcpdump's block timeout (pcap_set_timeout): the longest a captured packet waits in the ring. */
export const TCPDUMP_BLOCK_TIMEOUT_MS = 1000;

/** GoReplay's --input-raw-override-snaplen: 64 KiB plus room for the headers. */
const OVERRIDE_SNAPLEN_BYTES = 64 * 1024 + 200;

export function snaplenOf(snaplenBytes: number, isOverridden: boolean): number {
  return isOverridden ? Math.max(snaplenBytes, OVERRIDE_SNAPLEN_BYTES) : snaplenBytes;
}

/**
 * tcpdump cannot set libpcap's timeout: it is 1 s, or 0 in immediate mode. A shorter buffer
 * timeout than tcpdump's is honoured with immediate mode (no packet waits at all).
 */
export function isImmediateMode(bufferTimeoutMs: number | undefined): boolean {
  return bufferTimeoutMs !== undefined && bufferTimeoutMs < TCPDUMP_BLOCK_TIMEOUT_MS;
}

/** libpcap's timestamp types, by the names tcpdump -j takes. */
export const TIMESTAMP_TYPES = ['host', 'host_lowprec', 'host_hiprec', 'host_hiprec_unsynced', 'adapter', 'adapter_unsynced'] as const;

/** tcpdump's name for a timestamp type given either way ("host_hiprec" or GoReplay's "PCAP_TSTAMP_HOST_HIPREC"). */
export function timestampTypeOf(value: string): string | undefined {
  const name = value
    .trim()
    .toLowerCase()
    .replace(/^pcap_tstamp_/, '');
  return (TIMESTAMP_TYPES as readonly string[]).includes(name) ? name : undefined;
}
