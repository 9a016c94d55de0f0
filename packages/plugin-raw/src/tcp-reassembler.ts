/**
 * Reassembles one direction of a TCP connection into an ordered byte stream: puts out-of-order
 * segments back in order, ignores retransmitted and duplicated bytes, handles sequence numbers that
 * wrap past 2^32, and reports a gap instead of ever handing over bytes that are missing.
 */
import { copyBytes } from './copy-bytes.js';

export interface ByteStreamSink {
  /** In-order bytes; the array is owned by the sink (already copied out of the capture buffer). */
  data(bytes: Uint8Array, seconds: number, nanoseconds: number): void;
  /** Bytes were lost before the next `data` call: whatever was in progress is broken. */
  gap(): void;
  /** The sender finished (FIN reached in sequence) or the connection was reset. */
  end(seconds: number, nanoseconds: number): void;
}

interface PendingSegment {
  seq: number;
  bytes: Uint8Array;
  /** Bytes the capture cut off the end of this segment. */
  missingBytes: number;
  seconds: number;
  nanoseconds: number;
  receivedMs: number;
}

/** Signed distance from `a` to `b` in sequence space (handles wrap-around). */
export function seqDiff(b: number, a: number): number {
  return (b - a) | 0;
}

export class TcpReassembler {
  /** Next expected sequence number; -1 until the first SYN or data segment sets it. */
  private nextSeq = -1;
  private pending: PendingSegment[] = [];
  private pendingBytes = 0;
  /** Sequence number of the FIN once seen (it may arrive before missing data); -1 before. */
  private finSeq = -1;
  isEnded = false;
  /** When the peer was first seen acknowledging bytes this capture never saw; -1 when not. */
  private holeConfirmedMs = -1;
  /** Segments whose bytes had all been seen already. */
  retransmissions = 0;
  gaps = 0;

  constructor(
    private readonly sink: ByteStreamSink,
    /** Bytes held out of order before the missing data is declared lost. */
    private readonly maxPendingBytes = 1024 * 1024,
    /** False when payloads live in buffers nobody reuses (pcap streams): then they are kept, not copied. */
    private readonly isReused = true,
  ) {}

  /** Sequence number after the SYN: data starts there. */
  syn(seq: number): void {
    if (this.nextSeq === -1) this.nextSeq = (seq + 1) >>> 0;
  }

  /**
   * One segment. `payload` may be a view into a reused capture buffer: it is copied when kept.
   * `nowMs` times how long out-of-order data waits.
   */
  segment(seq: number, payload: Uint8Array, isFin: boolean, seconds: number, nanoseconds: number, nowMs: number, missingBytes = 0): void {
    if (this.isEnded) return;
    if (isFin) {
      const fin = (seq + payload.length + missingBytes) >>> 0;
      if (this.finSeq === -1) this.finSeq = fin;
    }
    if (payload.length > 0) {
      if (this.nextSeq === -1) this.nextSeq = seq; // picked up mid-stream
      const offset = seqDiff(seq, this.nextSeq);
      if (offset + payload.length <= 0) {
        this.retransmissions++;
      } else if (offset <= 0) {
        // Partly new: deliver only the unseen tail.
        this.sink.data(
          this.isReused ? copyBytes(payload, -offset) : offset < 0 ? payload.subarray(-offset) : payload,
          seconds,
          nanoseconds,
        );
        this.nextSeq = (this.nextSeq + payload.length + offset) >>> 0;
        if (missingBytes > 0) this.cutOff(missingBytes);
        this.drain();
      } else {
        this.hold(seq, payload, seconds, nanoseconds, nowMs, missingBytes);
      }
    } else if (this.nextSeq === -1 && isFin) {
      this.nextSeq = seq;
    }
    this.checkFin(seconds, nanoseconds);
  }

  /** The capture cut bytes off the segment just delivered: they are a gap, known right away. */
  private cutOff(missingBytes: number): void {
    this.gaps++;
    this.sink.gap();
    this.nextSeq = (this.nextSeq + missingBytes) >>> 0;
  }

  private hold(seq: number, payload: Uint8Array, seconds: number, nanoseconds: number, nowMs: number, missingBytes: number): void {
    // Keep pending sorted by sequence; duplicates of held segments are dropped.
    let i = this.pending.length;
    while (i > 0 && seqDiff(seq, this.pending[i - 1]!.seq) < 0) i--;
    const before = this.pending[i - 1];
    if (before && before.seq === seq && before.bytes.length >= payload.length) {
      this.retransmissions++;
      return;
    }
    this.pending.splice(i, 0, {
      seq,
      bytes: this.isReused ? copyBytes(payload) : payload,
      missingBytes,
      seconds,
      nanoseconds,
      receivedMs: nowMs,
    });
    this.pendingBytes += payload.length;
    if (this.pendingBytes > this.maxPendingBytes) this.skipGap();
  }

  /** Delivers held segments that have become in order (removed in one splice: shift() per segment is quadratic). */
  private drain(): void {
    let used = 0;
    for (; used < this.pending.length; used++) {
      const first = this.pending[used]!;
      const offset = seqDiff(first.seq, this.nextSeq);
      if (offset > 0) break;
      this.pendingBytes -= first.bytes.length;
      if (offset + first.bytes.length <= 0) {
        this.retransmissions++;
        continue;
      }
      this.sink.data(offset < 0 ? first.bytes.subarray(-offset) : first.bytes, first.seconds, first.nanoseconds);
      this.nextSeq = (this.nextSeq + first.bytes.length + offset) >>> 0;
      if (first.missingBytes > 0) this.cutOff(first.missingBytes);
    }
    if (used > 0) this.pending.splice(0, used);
    // Whatever hole was confirmed is behind us now; a next one needs its own evidence.
    if (used > 0) this.holeConfirmedMs = -1;
  }

  private checkFin(seconds: number, nanoseconds: number): void {
    if (this.finSeq !== -1 && this.nextSeq !== -1 && seqDiff(this.finSeq, this.nextSeq) <= 0) {
      this.isEnded = true;
      this.sink.end(seconds, nanoseconds);
    }
  }

  /** Gives up on the missing bytes before the first held segment and carries on from there. */
  private skipGap(): void {
    const first = this.pending[0];
    if (!first) return;
    this.gaps++;
    this.sink.gap();
    this.nextSeq = first.seq;
    this.drain();
  }

  /**
   * The peer acknowledged up to `ack`. If that is past a hole, the peer has bytes the capture
   * missed (a kernel drop, not a network loss): they will not be retransmitted, so waiting for them
   * is pointless. The hole is only noted here; `expirePending` gives it up a little later, in case
   * the missing segment is merely late in the capture.
   */
  acknowledged(ack: number, nowMs: number): void {
    if (this.pending.length === 0 || this.holeConfirmedMs !== -1 || this.nextSeq === -1) return;
    if (seqDiff(ack, this.nextSeq) > 0) this.holeConfirmedMs = nowMs;
  }

  /**
   * Declares held data lost if it has waited longer than `maxWaitMs`, or `confirmedWaitMs` once
   * the peer's acknowledgments showed the missing bytes were delivered without the capture seeing them.
   */
  expirePending(nowMs: number, maxWaitMs: number, confirmedWaitMs = 200): void {
    if (this.holeConfirmedMs !== -1 && nowMs - this.holeConfirmedMs > confirmedWaitMs && this.pending.length > 0) {
      this.holeConfirmedMs = -1;
      this.skipGap();
    }
    while (this.pending.length > 0 && nowMs - this.pending[0]!.receivedMs > maxWaitMs) this.skipGap();
    if (this.pending.length === 0) this.holeConfirmedMs = -1;
  }

  /** Next expected sequence number, -1 before the first SYN or data. */
  get expectedSeq(): number {
    return this.nextSeq;
  }

  /** True while out-of-order data waits for missing bytes. */
  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** The connection is over (RST, expiry, end of file): report missing bytes, then the end. */
  close(seconds: number, nanoseconds: number): void {
    if (this.isEnded) return;
    while (this.pending.length > 0) this.skipGap();
    this.isEnded = true;
    this.sink.end(seconds, nanoseconds);
  }
}
