/**
 * Headers of a recorded (HTTP/1-shaped) request made fit for HTTP/2 (RFC 9113 §8.2): names in lower
 * case, and no connection-specific header. toReplayRequest has already dropped the hop-by-hop ones
 * (Connection and what it names, Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade, TE); this
 * also drops HTTP2-Settings (from an `Upgrade: h2c` request) and puts back `te: trailers`, the only
 * TE allowed on HTTP/2 and one that gRPC servers expect. Host stays: undici sends it as :authority.
 * Pure: tested on header lists.
 */
const FORBIDDEN = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'http2-settings']);

export function toH2Headers(headers: readonly string[], hasTeTrailers: boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!.toLowerCase();
    if (FORBIDDEN.has(name)) continue;
    out.push(name, headers[i + 1]!);
  }
  if (hasTeTrailers) out.push('te', 'trailers');
  return out;
}
