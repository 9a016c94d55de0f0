/**
 * GoReplay's `--input-raw` value forms: `:8081` (every interface), `127.0.0.1:8081` or `[::1]:8081`
 * (the interfaces holding that address), `eth0:8081` (one device), and a pcap file (`./f.pcap` or
 * `./f.pcap:8081`). Also builds the BPF filter a device is opened with.
 */
import { isIP } from 'node:net';

export type CaptureTarget = { kind: 'live'; host?: string; device?: string; port: number } | { kind: 'file'; path: string; port: number };

/** Parses a live address; throws an Error with a readable message when it is not one. */
export function parseLiveAddress(value: string): { host?: string; device?: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|(.*)):(\d{1,5})$/.exec(value.trim());
  if (!m) throw new Error(`"${value}" is not an address: use :PORT, HOST:PORT, DEVICE:PORT or a .pcap file`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`port ${port} is out of range`);
  const host = m[1] ?? m[2] ?? '';
  if (host === '' || host === '0.0.0.0' || host === '::') return { port };
  if (m[1] !== undefined || isIP(host)) return { host, port };
  if (host === 'localhost') return { host: '127.0.0.1', port };
  return { device: host, port };
}

/** Splits `path:port` when `exists(path)`; a plain existing path captures every port. */
export function parseFileTarget(value: string, exists: (path: string) => boolean): { path: string; port: number } | undefined {
  if (exists(value)) return { path: value, port: 0 };
  const m = /^(.*):(\d{1,5})$/.exec(value);
  if (m && exists(m[1]!)) return { path: m[1]!, port: Number(m[2]) };
  return undefined;
}

/**
 * The default filter for one device: requests to the port on the device's own addresses and,
 * when responses are tracked, what comes back from them (as GoReplay builds it).
 */
export function defaultBpfFilter(port: number, addresses: readonly string[], trackResponse: boolean): string {
  const portPart = port > 0 ? ` port ${port}` : '';
  const hosts = (dir: 'src' | 'dst') =>
    addresses.length ? ` and (${addresses.map((a) => `${dir} host ${a.replace(/%.*$/, '')}`).join(' or ')})` : '';
  const requests = port > 0 ? `tcp dst${portPart}${hosts('dst')}` : `tcp${hosts('dst')}`;
  if (!trackResponse) return requests;
  const responses = port > 0 ? `tcp src${portPart}${hosts('src')}` : `tcp${hosts('src')}`;
  return `(${requests}) or (${responses})`;
}
