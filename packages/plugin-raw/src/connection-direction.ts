/**
 * Which end of a TCP connection is the client, decided once per connection: from its SYN when the
 * capture saw it, else from the configured server port, else (HTTP) from which side starts with a
 * request line or a status line; only when nothing tells is the lower port taken as the server's.
 */
import { TCP_ACK, TCP_SYN, type TcpSegment } from './packet-decoder.js';

/** The client is the sender (`src`) or the receiver (`dst`) of the segment; undefined: not known yet. */
export type ClientSide = 'src' | 'dst' | undefined;

export function clientSideOf(s: TcpSegment, serverPorts: ReadonlySet<number>, isHttp: boolean): ClientSide {
  if (s.flags & TCP_SYN) return s.flags & TCP_ACK ? 'dst' : 'src';
  if (serverPorts.size > 0) {
    if (serverPorts.has(s.dstPort)) return 'src';
    if (serverPorts.has(s.srcPort)) return 'dst';
  }
  if (isHttp && s.payload.length > 0) {
    if (startsWithStatusLine(s.payload)) return 'dst';
    if (startsWithRequestLine(s.payload)) return 'src';
  }
  return undefined;
}

/** The last resort: the lower port is the server's (well-known and registered ports sit low). */
export function clientSideByPort(s: TcpSegment): 'src' | 'dst' {
  return s.dstPort <= s.srcPort ? 'src' : 'dst';
}

const HTTP_SLASH = [72, 84, 84, 80, 47]; // "HTTP/"

function startsWithStatusLine(bytes: Uint8Array): boolean {
  if (bytes.length < 5) return false;
  for (let i = 0; i < 5; i++) if (bytes[i] !== HTTP_SLASH[i]) return false;
  return true;
}

/** "METHOD SP target SP HTTP/1.x", or, when the line runs past the segment, at least "METHOD SP". */
function startsWithRequestLine(bytes: Uint8Array): boolean {
  const lineEnd = bytes.indexOf(10);
  const line = Buffer.from(bytes.buffer, bytes.byteOffset, lineEnd < 0 ? Math.min(bytes.length, 64) : lineEnd).toString('latin1');
  if (lineEnd < 0) return /^[A-Z_-]{3,20} \S/.test(line);
  return /^[A-Z_-]+ \S+ HTTP\/1\.[01]\r?$/.test(line);
}
