import type { Message } from '../message.js';
import { RepriseError } from '../errors.js';
import { emptyRecordHeader, parseRecordHeader } from './record-header.js';
import { GOR_SEPARATOR, GOR_SEPARATOR_LENGTH } from './separator.js';

/** A decoded record and the byte offset of its first header byte in the stream. */
export interface GorRecord {
  type: 'record';
  message: Message;
  offset: number;
}

/** A record that could not be decoded: its offset, its length in bytes and why. */
export interface GorCorruption {
  type: 'corrupt';
  offset: number;
  lengthBytes: number;
  reason: string;
}

export type GorDecoded = GorRecord | GorCorruption;

/**
 * Streaming decoder for GoReplay's record format, fed chunks of any size.
 *
 * Payloads are views into the chunks given (no copy), so a caller must not reuse a chunk's memory
 * afterwards (fs and zlib streams hand out fresh buffers). Only the bytes of the one incomplete
 * record at the end of the input so far are kept between calls.
 *
 * A record with a corrupt header line becomes a `GorCorruption` and decoding resumes after its
 * separator, so the good records on both sides of it are delivered.
 */
export class GorDecoder {
  /** The incomplete record's bytes, in arrival order. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Stream offset of the first pending byte (= the start of the next record). */
  private offset = 0;
  private readonly header = emptyRecordHeader();

  /** Bytes consumed so far, i.e. the offset where the next record starts. */
  get position(): number {
    return this.offset;
  }

  /** Decodes every record completed by `chunk`, appending them to `out` (returned). */
  push(chunk: Uint8Array, out: GorDecoded[] = []): GorDecoded[] {
    const bytes = asBuffer(chunk);
    if (bytes.length === 0) return out;
    let pos = 0;
    if (this.pendingBytes > 0) {
      // Only the record straddling the boundary is copied; the rest is decoded in place.
      const end = this.straddlingRecordEnd(bytes);
      if (end < 0) {
        this.pending.push(bytes);
        this.pendingBytes += bytes.length;
        return out;
      }
      this.pending.push(bytes.subarray(0, end));
      const record = Buffer.concat(this.pending, this.pendingBytes + end);
      out.push(this.decodeOne(record, 0, record.length - GOR_SEPARATOR_LENGTH));
      this.offset += this.pendingBytes;
      this.pending = [];
      this.pendingBytes = 0;
      pos = end;
    }
    for (let sep = findSeparator(bytes, pos); sep >= 0; sep = findSeparator(bytes, pos)) {
      out.push(this.decodeOne(bytes, pos, sep));
      pos = sep + GOR_SEPARATOR_LENGTH;
    }
    if (pos < bytes.length) {
      this.pending.push(bytes.subarray(pos));
      this.pendingBytes = bytes.length - pos;
    }
    // From here on `offset` is the stream offset of the first pending byte.
    this.offset += pos;
    return out;
  }

  /** Ends the stream: leftover bytes are a truncated record. */
  end(out: GorDecoded[] = []): GorDecoded[] {
    if (this.pendingBytes > 0) {
      out.push({
        type: 'corrupt',
        offset: this.offset,
        lengthBytes: this.pendingBytes,
        reason: 'truncated record: the input ends before its separator',
      });
      this.offset += this.pendingBytes;
      this.pending = [];
      this.pendingBytes = 0;
    }
    return out;
  }

  private decodeOne(bytes: Buffer, start: number, sep: number): GorDecoded {
    const offset = this.offset + start;
    const header = this.header;
    const reason = parseRecordHeader(bytes, start, sep, header);
    if (reason !== undefined) return { type: 'corrupt', offset, lengthBytes: sep + GOR_SEPARATOR_LENGTH - start, reason };
    const message: Message = {
      kind: header.kind,
      id: header.id,
      timestamp: header.timestamp,
      latency: header.latency,
      payload: bytes.subarray(header.payloadStart, sep),
    };
    if (header.protocol !== undefined) message.protocol = header.protocol;
    return { type: 'record', message, offset };
  }

  /**
   * Where, in `chunk`, the first separator after the pending bytes ends; -1 if none does. The
   * pending bytes hold no separator, so one that starts in them must straddle into `chunk`.
   */
  private straddlingRecordEnd(chunk: Buffer): number {
    const tail = this.pendingTail(GOR_SEPARATOR_LENGTH - 1);
    const probe = Buffer.concat([tail, chunk.subarray(0, GOR_SEPARATOR_LENGTH - 1)]);
    const across = findSeparator(probe, 0);
    if (across >= 0) return across + GOR_SEPARATOR_LENGTH - tail.length;
    const inside = findSeparator(chunk, 0);
    return inside < 0 ? -1 : inside + GOR_SEPARATOR_LENGTH;
  }

  private pendingTail(n: number): Buffer {
    const parts: Buffer[] = [];
    let need = n;
    for (let i = this.pending.length - 1; i >= 0 && need > 0; i--) {
      const part = this.pending[i]!;
      const take = Math.min(need, part.length);
      parts.unshift(part.subarray(part.length - take));
      need -= take;
    }
    return Buffer.concat(parts);
  }
}

/** The error a reader reports for a corrupt record, with where it was read (a file, a component). */
export function corruptionError(corruption: GorCorruption, where: { file?: string; plugin?: string } = {}): RepriseError {
  return new RepriseError('RPR_GOR_CORRUPT', corruption.reason, { ...where, offset: corruption.offset });
}

const EMOJI_LEAD = GOR_SEPARATOR[1]!;
const LF = 0x0a;

/**
 * Index of the next separator at or after `from`, or -1. Searches for the emoji's lead byte (0xF0,
 * rare in HTTP) with a native byte search, then checks the rest: several times faster than a
 * 14-byte needle search, which pays a set-up cost per call.
 */
export function findSeparator(bytes: Buffer, from: number): number {
  const last = bytes.length - GOR_SEPARATOR_LENGTH;
  for (let i = bytes.indexOf(EMOJI_LEAD, from + 1); i >= 0; i = bytes.indexOf(EMOJI_LEAD, i + 1)) {
    const start = i - 1;
    if (start > last) return -1;
    if (bytes[start] !== LF) continue;
    let j = 2;
    while (j < GOR_SEPARATOR_LENGTH && bytes[start + j] === GOR_SEPARATOR[j]) j++;
    if (j === GOR_SEPARATOR_LENGTH) return start;
  }
  return -1;
}

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
