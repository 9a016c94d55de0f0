/**
 * Reassembles fragmented IP datagrams (IPv4 and IPv6 fragment headers). Fragments are kept
 * until the datagram is whole or `expireMs` passes without a new fragment.
 */
import { copyBytes } from './copy-bytes.js';

interface Datagram {
  parts: Array<{ offset: number; bytes: Uint8Array }>;
  /** Payload length once the last fragment (more-fragments = 0) has been seen; -1 before. */
  totalLength: number;
  lastSeenMs: number;
}

export class IpDefragmenter {
  private readonly datagrams = new Map<string, Datagram>();
  /** Datagrams given up on because a fragment never came. */
  expired = 0;

  constructor(private readonly expireMs = 30_000) {}

  /**
   * Adds one fragment's payload; returns the whole upper-layer payload when this completes it.
   * `offset` is in bytes; the payload is copied (the caller's buffer may be reused).
   */
  add(key: string, offset: number, isLast: boolean, payload: Uint8Array, nowMs: number): Uint8Array | undefined {
    let d = this.datagrams.get(key);
    if (!d) {
      d = { parts: [], totalLength: -1, lastSeenMs: nowMs };
      this.datagrams.set(key, d);
    }
    d.lastSeenMs = nowMs;
    d.parts.push({ offset, bytes: copyBytes(payload) });
    if (isLast) d.totalLength = offset + payload.length;
    if (d.totalLength < 0) return undefined;
    d.parts.sort((a, b) => a.offset - b.offset);
    let covered = 0;
    for (const part of d.parts) {
      if (part.offset > covered) return undefined;
      covered = Math.max(covered, part.offset + part.bytes.length);
    }
    if (covered < d.totalLength) return undefined;
    const whole = new Uint8Array(d.totalLength);
    for (const part of d.parts) {
      whole.set(part.bytes.subarray(0, Math.max(0, Math.min(part.bytes.length, d.totalLength - part.offset))), part.offset);
    }
    this.datagrams.delete(key);
    return whole;
  }

  sweep(nowMs: number): void {
    for (const [key, d] of this.datagrams) {
      if (nowMs - d.lastSeenMs > this.expireMs) {
        this.datagrams.delete(key);
        this.expired++;
      }
    }
  }

  get size(): number {
    return this.datagrams.size;
  }
}
