/**
 * Connection-keyed message ids, in GoReplay's layout (12 bytes, 24 hex digits):
 *   bytes 0–7  client port << 48 | server port << 32 | client IPv4 address
 *   bytes 8–11 the request's TCP acknowledgement number (= its response's sequence number)
 * so a request and its response share the id, and every exchange on one TCP connection shares
 * the first 16 hex digits: the session key. An IPv6 client address takes the 32-bit FNV-1a hash
 * of its 16 bytes in place of the IPv4 address (stable across runs and machines).
 */

/** The TCP connection (session) part of a captured id: its first 16 hex digits. */
export function sessionKeyOf(id: string): string {
  return id.slice(0, 16);
}

/**
 * A stable share index for a message's session, 0 ≤ index < shares (FNV-1a over the session key), so
 * every request of one session goes to the same share. Ids without the layout are sessions of their own.
 */
export function sessionShareOf(id: string, shares: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < 16 && i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return (h >>> 0) % shares;
}

/**
 * The 16-hex-digit connection part of an id. `clientAddress`: an IPv4 address as an unsigned
 * 32-bit number or dotted text, or an IPv6 address as text ("::1") or as 32 hex digits.
 */
export function connectionIdOf(clientPort: number, serverPort: number, clientAddress: number | string): string {
  return hex16(clientPort) + hex16(serverPort) + hex32(address32(clientAddress));
}

/** A whole id: the connection part and a 32-bit number (the request's ack), as 8 hex digits. */
export function messageIdOf(connectionId: string, sequence: number): string {
  return connectionId + hex32(sequence >>> 0);
}

// Ids are made for every captured message: a table, since Number#toString(16) takes about 300 ns (67 here).
const BYTE_HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

function hex16(value: number): string {
  return BYTE_HEX[(value >>> 8) & 255]! + BYTE_HEX[value & 255]!;
}

function hex32(value: number): string {
  return BYTE_HEX[value >>> 24]! + BYTE_HEX[(value >>> 16) & 255]! + BYTE_HEX[(value >>> 8) & 255]! + BYTE_HEX[value & 255]!;
}

function address32(address: number | string): number {
  if (typeof address === 'number') return address >>> 0;
  const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (ipv4) return ((Number(ipv4[1]) << 24) | (Number(ipv4[2]) << 16) | (Number(ipv4[3]) << 8) | Number(ipv4[4])) >>> 0;
  return fnv1a(ipv6Bytes(address));
}

/** 16 bytes of an IPv6 address given as 32 hex digits or as text ("fe80::1", "::ffff:1.2.3.4"). */
function ipv6Bytes(address: string): Uint8Array {
  const bytes = new Uint8Array(16);
  if (/^[0-9a-f]{32}$/i.test(address)) {
    for (let i = 0; i < 16; i++) bytes[i] = parseInt(address.slice(i * 2, i * 2 + 2), 16);
    return bytes;
  }
  const text = address.replace(/%.*$/, '').toLowerCase();
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const groups = (part: string): number[] => {
    if (part === '') return [];
    return part.split(':').flatMap((g) => {
      if (!g.includes('.')) return [parseInt(g, 16) || 0];
      const v4 = address32(g);
      return [v4 >>> 16, v4 & 0xffff];
    });
  };
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...new Array<number>(Math.max(0, 8 - left.length - right.length)).fill(0), ...right];
  for (let i = 0; i < 8; i++) {
    bytes[i * 2] = (all[i]! >>> 8) & 255;
    bytes[i * 2 + 1] = all[i]! & 255;
  }
  return bytes;
}

function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}
