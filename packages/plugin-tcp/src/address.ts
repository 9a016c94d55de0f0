/**
 * GoReplay's relay addresses: `:28020` (listen on every interface), `127.0.0.1:28020`,
 * `[::1]:28020`, `replay.local:28020`. Throws an Error with a readable message otherwise.
 */
export interface TcpAddress {
  /** Undefined when listening on every interface. */
  host?: string;
  port: number;
}

export function parseTcpAddress(value: string, options: { needsHost: boolean }): TcpAddress {
  const m = /^(?:\[([^\]]+)\]|([^:\s]*)):(\d{1,5})$/.exec(value.trim());
  if (!m) throw new Error(`"${value}" is not an address: use ${options.needsHost ? 'HOST:PORT' : ':PORT or HOST:PORT'}`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`port ${port} in "${value}" is out of range`);
  const host = m[1] ?? m[2] ?? '';
  if (host === '') {
    if (options.needsHost) throw new Error(`"${value}" has no host: use HOST:PORT, e.g. replay.local:28020`);
    return { port };
  }
  if (options.needsHost && port === 0) throw new Error(`"${value}" has port 0: give the port the aggregator listens on`);
  return { host, port };
}

export function formatTcpAddress(address: TcpAddress): string {
  const host = address.host ?? '';
  return `${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}
