// Builds frames and capture files byte by byte, for tests of the decoder and reassembly.
import { LINKTYPE } from '../src/link-types.js';

export interface SegmentSpec {
  src?: string;
  dst?: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  flags?: number;
  payload?: Uint8Array | string;
}

const ACK = 0x10;

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

function ipv6Bytes(address: string): number[] {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => {
    const v = parseInt(g, 16);
    return [v >> 8, v & 255];
  });
}

export function tcpBytes(spec: SegmentSpec): Uint8Array {
  const payload = typeof spec.payload === 'string' ? Buffer.from(spec.payload, 'latin1') : (spec.payload ?? new Uint8Array(0));
  const tcp = new Uint8Array(20 + payload.length);
  const v = new DataView(tcp.buffer);
  v.setUint16(0, spec.srcPort);
  v.setUint16(2, spec.dstPort);
  v.setUint32(4, spec.seq >>> 0);
  tcp[12] = 5 << 4;
  tcp[13] = spec.flags ?? ACK;
  v.setUint16(14, 65535);
  tcp.set(payload, 20);
  return tcp;
}

export function ipv4Packet(spec: SegmentSpec, fragment?: { id: number; offsetBytes: number; more: boolean; data: Uint8Array }): Uint8Array {
  const body = fragment ? fragment.data : tcpBytes(spec);
  const ip = new Uint8Array(20 + body.length);
  const v = new DataView(ip.buffer);
  ip[0] = 0x45;
  v.setUint16(2, ip.length);
  if (fragment) {
    v.setUint16(4, fragment.id);
    v.setUint16(6, (fragment.more ? 0x2000 : 0) | (fragment.offsetBytes / 8));
  }
  ip[8] = 64;
  ip[9] = 6;
  ip.set(ipv4Bytes(spec.src ?? '10.0.0.1'), 12);
  ip.set(ipv4Bytes(spec.dst ?? '10.0.0.2'), 16);
  ip.set(body, 20);
  return ip;
}

export function ipv6Packet(spec: SegmentSpec): Uint8Array {
  const tcp = tcpBytes(spec);
  const ip = new Uint8Array(40 + tcp.length);
  const v = new DataView(ip.buffer);
  ip[0] = 0x60;
  v.setUint16(4, tcp.length);
  ip[6] = 6;
  ip[7] = 64;
  ip.set(ipv6Bytes(spec.src ?? '::1'), 8);
  ip.set(ipv6Bytes(spec.dst ?? '::1'), 24);
  ip.set(tcp, 40);
  return ip;
}

export function ethernet(ip: Uint8Array, options: { vlanIds?: number[]; etherType?: number; padTo?: number } = {}): Uint8Array {
  const vlans = options.vlanIds ?? [];
  const header = 14 + vlans.length * 4;
  const frame = new Uint8Array(Math.max(header + ip.length, options.padTo ?? 0));
  const v = new DataView(frame.buffer);
  frame.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2], 0);
  let at = 12;
  for (const id of vlans) {
    v.setUint16(at, 0x8100);
    v.setUint16(at + 2, id);
    at += 4;
  }
  v.setUint16(at, options.etherType ?? (ip[0]! >> 4 === 6 ? 0x86dd : 0x0800));
  frame.set(ip, at + 2);
  return frame;
}

export function bsdLoopback(ip: Uint8Array, littleEndian = true): Uint8Array {
  const frame = new Uint8Array(4 + ip.length);
  new DataView(frame.buffer).setUint32(0, ip[0]! >> 4 === 6 ? 30 : 2, littleEndian);
  frame.set(ip, 4);
  return frame;
}

export function linuxCooked(ip: Uint8Array, version: 1 | 2): Uint8Array {
  const proto = ip[0]! >> 4 === 6 ? 0x86dd : 0x0800;
  const headerLength = version === 1 ? 16 : 20;
  const frame = new Uint8Array(headerLength + ip.length);
  const v = new DataView(frame.buffer);
  if (version === 1) v.setUint16(14, proto);
  else v.setUint16(0, proto);
  frame.set(ip, headerLength);
  return frame;
}

export interface CapturedFrame {
  seconds: number;
  nanoseconds: number;
  frame: Uint8Array;
  linkType?: number;
}

/** A classic pcap file; `nano` picks the nanosecond magic, `bigEndian` the byte order. */
export function pcapFile(
  frames: CapturedFrame[],
  linkType: number = LINKTYPE.ETHERNET,
  opts: { nano?: boolean; bigEndian?: boolean } = {},
): Uint8Array {
  const le = !opts.bigEndian;
  const size = 24 + frames.reduce((n, f) => n + 16 + f.frame.length, 0);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, opts.nano ? 0xa1b23c4d : 0xa1b2c3d4, le);
  v.setUint16(4, 2, le);
  v.setUint16(6, 4, le);
  v.setUint32(16, 262144, le);
  v.setUint32(20, linkType, le);
  let at = 24;
  for (const f of frames) {
    v.setUint32(at, f.seconds, le);
    v.setUint32(at + 4, opts.nano ? f.nanoseconds : Math.floor(f.nanoseconds / 1000), le);
    v.setUint32(at + 8, f.frame.length, le);
    v.setUint32(at + 12, f.frame.length, le);
    out.set(f.frame, at + 16);
    at += 16 + f.frame.length;
  }
  return out;
}

/**
 * A pcapng file with one interface; `tsresol` is the if_tsresol option (6 = µs, 9 = ns).
 * Frames go in enhanced packet blocks.
 */
export function pcapngFile(frames: CapturedFrame[], linkType: number = LINKTYPE.ETHERNET, tsresol = 6): Uint8Array {
  const blocks: Uint8Array[] = [];
  const block = (type: number, body: Uint8Array) => {
    const padded = (body.length + 3) & ~3;
    const b = new Uint8Array(12 + padded);
    const v = new DataView(b.buffer);
    v.setUint32(0, type, true);
    v.setUint32(4, b.length, true);
    b.set(body, 8);
    v.setUint32(b.length - 4, b.length, true);
    blocks.push(b);
  };
  const shb = new Uint8Array(16);
  const sv = new DataView(shb.buffer);
  sv.setUint32(0, 0x1a2b3c4d, true);
  sv.setUint16(4, 1, true);
  sv.setBigInt64(8, -1n, true);
  block(0x0a0d0d0a, shb);
  const idb = new Uint8Array(8 + 8 + 4);
  const iv = new DataView(idb.buffer);
  iv.setUint16(0, linkType, true);
  iv.setUint32(4, 262144, true);
  iv.setUint16(8, 9, true); // if_tsresol
  iv.setUint16(10, 1, true);
  idb[12] = tsresol;
  // end of options (code 0) is the zeroed tail
  block(1, idb);
  const unitsPerSecond = 10n ** BigInt(tsresol);
  for (const f of frames) {
    const units = BigInt(f.seconds) * unitsPerSecond + (BigInt(f.nanoseconds) * unitsPerSecond) / 1_000_000_000n;
    const body = new Uint8Array(20 + f.frame.length);
    const v = new DataView(body.buffer);
    v.setUint32(0, 0, true);
    v.setUint32(4, Number(units >> 32n), true);
    v.setUint32(8, Number(units & 0xffffffffn), true);
    v.setUint32(12, f.frame.length, true);
    v.setUint32(16, f.frame.length, true);
    body.set(f.frame, 20);
    block(6, body);
  }
  return Buffer.concat(blocks);
}

/** Converts a classic pcap file (as read by PcapReader) into pcapng bytes. */
export function toPcapng(
  packets: Array<{ linkType: number; seconds: number; nanoseconds: number; data: Uint8Array }>,
  tsresol = 9,
): Uint8Array {
  const linkType = packets[0]?.linkType ?? LINKTYPE.ETHERNET;
  return pcapngFile(
    packets.map((p) => ({ seconds: p.seconds, nanoseconds: p.nanoseconds, frame: p.data })),
    linkType,
    tsresol,
  );
}
