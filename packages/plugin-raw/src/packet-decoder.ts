/**
 * Decodes one captured frame down to its TCP segment: link layer (Ethernet with VLAN tags, Linux
 * cooked v1/v2, BSD loopback, raw IP), IPv4 (with fragments) or IPv6, then TCP. Pure: bytes in,
 * a reused TcpSegment out, so the hot loop allocates nothing but the payload view.
 */
import { IpDefragmenter } from './ip-defragmenter.js';
import { LINKTYPE } from './link-types.js';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

export interface TcpSegment {
  /** IPv4 address as an unsigned 32-bit number, IPv6 address as a lowercase hex string of 32 digits. */
  src: number | string;
  dst: number | string;
  srcPort: number;
  dstPort: number;
  seq: number;
  /** Acknowledgment number (meaningful when flags has TCP_ACK). */
  ack: number;
  flags: number;
  /** TCP payload: a view into the frame (or into a reassembled datagram). */
  payload: Uint8Array;
  /** Payload bytes the snaplen cut off the end of the frame (0 for a whole frame). */
  missingBytes: number;
}

export type DecodeResult = 'tcp' | 'not-tcp' | 'fragment' | 'malformed' | 'unsupported-link';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_VLAN_OLD = 0x9100;

export class PacketDecoder {
  readonly segment: TcpSegment = {
    src: 0,
    dst: 0,
    srcPort: 0,
    dstPort: 0,
    seq: 0,
    ack: 0,
    flags: 0,
    payload: new Uint8Array(0),
    missingBytes: 0,
  };
  readonly defragmenter: IpDefragmenter;

  constructor(fragmentExpireMs = 30_000) {
    this.defragmenter = new IpDefragmenter(fragmentExpireMs);
  }

  /** Decodes a frame; on 'tcp' the result is in `this.segment`. */
  decode(linkType: number, frame: Uint8Array, nowMs: number): DecodeResult {
    let at: number;
    let etherType: number;
    switch (linkType) {
      case LINKTYPE.ETHERNET: {
        if (frame.length < 14) return 'malformed';
        etherType = u16(frame, 12);
        at = 14;
        while (etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ || etherType === ETHERTYPE_VLAN_OLD) {
          if (frame.length < at + 4) return 'malformed';
          etherType = u16(frame, at + 2);
          at += 4;
        }
        break;
      }
      case LINKTYPE.LINUX_SLL:
        if (frame.length < 16) return 'malformed';
        etherType = u16(frame, 14);
        at = 16;
        break;
      case LINKTYPE.LINUX_SLL2:
        if (frame.length < 20) return 'malformed';
        etherType = u16(frame, 0);
        at = 20;
        break;
      case LINKTYPE.NULL:
      case LINKTYPE.LOOP: {
        if (frame.length < 4) return 'malformed';
        // NULL stores the address family in the capturing host's byte order, LOOP in network order.
        const family = linkType === LINKTYPE.LOOP ? u32(frame, 0) : frame[0] !== 0 ? u32le(frame, 0) : u32(frame, 0);
        etherType = family === 2 ? ETHERTYPE_IPV4 : family === 24 || family === 28 || family === 30 ? ETHERTYPE_IPV6 : 0;
        at = 4;
        break;
      }
      case LINKTYPE.RAW:
      case LINKTYPE.RAW_BSD12:
      case LINKTYPE.RAW_BSD14:
      case LINKTYPE.IPV4:
      case LINKTYPE.IPV6:
        if (frame.length < 1) return 'malformed';
        etherType = frame[0]! >> 4 === 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
        at = 0;
        break;
      default:
        return 'unsupported-link';
    }
    if (etherType === ETHERTYPE_IPV4) return this.decodeIpv4(frame, at, nowMs);
    if (etherType === ETHERTYPE_IPV6) return this.decodeIpv6(frame, at, nowMs);
    return 'not-tcp';
  }

  private decodeIpv4(frame: Uint8Array, at: number, nowMs: number): DecodeResult {
    if (frame.length < at + 20) return 'malformed';
    const versionIhl = frame[at]!;
    if (versionIhl >> 4 !== 4) return 'malformed';
    const headerLength = (versionIhl & 0x0f) * 4;
    const totalLength = u16(frame, at + 2);
    if (headerLength < 20 || totalLength < headerLength) return 'malformed';
    // Ethernet pads short frames: the IP total length, not the frame, says where the datagram ends.
    // A frame cut by the snaplen is shorter than that: keep what there is.
    const declaredEnd = at + totalLength;
    const end = Math.min(frame.length, declaredEnd);
    if (frame[at + 9] !== 6) return 'not-tcp';
    const src = u32(frame, at + 12);
    const dst = u32(frame, at + 16);
    const fragmentField = u16(frame, at + 6);
    const moreFragments = (fragmentField & 0x2000) !== 0;
    const fragmentOffset = (fragmentField & 0x1fff) * 8;
    if (moreFragments || fragmentOffset > 0) {
      const key = `4:${src}:${dst}:${u16(frame, at + 4)}`;
      const whole = this.defragmenter.add(key, fragmentOffset, !moreFragments, frame.subarray(at + headerLength, end), nowMs);
      if (!whole) return 'fragment';
      return this.decodeTcp(whole, 0, whole.length, src, dst);
    }
    return this.decodeTcp(frame, at + headerLength, end, src, dst, declaredEnd - end);
  }

  private decodeIpv6(frame: Uint8Array, at: number, nowMs: number): DecodeResult {
    if (frame.length < at + 40) return 'malformed';
    if (frame[at]! >> 4 !== 6) return 'malformed';
    const payloadLength = u16(frame, at + 4);
    let next = frame[at + 6]!;
    const src = hex(frame, at + 8);
    const dst = hex(frame, at + 24);
    const declaredEnd = at + 40 + payloadLength;
    const end = Math.min(frame.length, declaredEnd);
    let o = at + 40;
    let fragment: { offset: number; isLast: boolean; id: number } | undefined;
    // Walk the extension headers up to TCP.
    for (;;) {
      if (next === 6) break;
      if (next === 0 || next === 43 || next === 60) {
        if (o + 8 > end) return 'malformed';
        next = frame[o]!;
        o += (frame[o + 1]! + 1) * 8;
        continue;
      }
      if (next === 44) {
        if (o + 8 > end) return 'malformed';
        const field = u16(frame, o + 2);
        fragment = { offset: field & 0xfff8, isLast: (field & 1) === 0, id: u32(frame, o + 4) };
        next = frame[o]!;
        o += 8;
        continue;
      }
      return 'not-tcp';
    }
    if (fragment) {
      const key = `6:${src}:${dst}:${fragment.id}`;
      const whole = this.defragmenter.add(key, fragment.offset, fragment.isLast, frame.subarray(o, end), nowMs);
      if (!whole) return 'fragment';
      return this.decodeTcp(whole, 0, whole.length, src, dst);
    }
    return this.decodeTcp(frame, o, end, src, dst, declaredEnd - end);
  }

  private decodeTcp(
    bytes: Uint8Array,
    at: number,
    end: number,
    src: number | string,
    dst: number | string,
    missingBytes = 0,
  ): DecodeResult {
    if (end < at + 20) return 'malformed';
    const dataOffset = (bytes[at + 12]! >> 4) * 4;
    if (dataOffset < 20 || at + dataOffset > end) return 'malformed';
    const s = this.segment;
    s.src = src;
    s.dst = dst;
    s.srcPort = u16(bytes, at);
    s.dstPort = u16(bytes, at + 2);
    s.seq = u32(bytes, at + 4);
    s.ack = u32(bytes, at + 8);
    s.flags = bytes[at + 13]!;
    s.payload = bytes.subarray(at + dataOffset, end);
    s.missingBytes = Math.max(missingBytes, 0);
    return 'tcp';
  }
}

// Network-order reads from the bytes themselves: a DataView per frame was the decoder's one allocation besides the payload view.
function u16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

function u32le(bytes: Uint8Array, at: number): number {
  return ((bytes[at + 3]! << 24) | (bytes[at + 2]! << 16) | (bytes[at + 1]! << 8) | bytes[at]!) >>> 0;
}

function hex(bytes: Uint8Array, at: number): string {
  let s = '';
  for (let i = at; i < at + 16; i++) s += (bytes[i]! < 16 ? '0' : '') + bytes[i]!.toString(16);
  return s;
}

/** Formats an address from a TcpSegment for people and headers (`127.0.0.1`, `::1`). */
export function formatAddress(address: number | string): string {
  if (typeof address === 'number') {
    return `${address >>> 24}.${(address >>> 16) & 255}.${(address >>> 8) & 255}.${address & 255}`;
  }
  const groups: string[] = [];
  for (let i = 0; i < 32; i += 4) groups.push(parseInt(address.slice(i, i + 4), 16).toString(16));
  // Compress the longest run of zero groups, as inet_ntop does.
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLength && j - i > 1) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}
