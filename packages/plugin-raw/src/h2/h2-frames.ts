/**
 * HTTP/2 frames (RFC 9113 §4): a 9-byte header (24-bit length, type, flags, 31-bit stream id) and a
 * payload. Pure logic over bytes: a reader per direction cuts a byte stream into frames.
 */
export const CLIENT_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const FRAME = {
  data: 0x0,
  headers: 0x1,
  priority: 0x2,
  rstStream: 0x3,
  settings: 0x4,
  pushPromise: 0x5,
  ping: 0x6,
  goaway: 0x7,
  windowUpdate: 0x8,
  continuation: 0x9,
} as const;

export const FLAG = { endStream: 0x1, endHeaders: 0x4, padded: 0x8, priority: 0x20 } as const;

export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Uint8Array;
}

/** The largest frame a peer may announce (2^24 - 1); anything claiming more is not HTTP/2. */
const MAX_FRAME_LENGTH = 0xffffff;

/** Cuts one direction's bytes into frames; bytes of an incomplete frame wait for the next push. */
export class FrameReader {
  private pending: Uint8Array = new Uint8Array(0);

  constructor(private readonly onFrame: (frame: Frame) => void) {}

  push(bytes: Uint8Array): void {
    let data = this.pending.length ? concat(this.pending, bytes) : bytes;
    let offset = 0;
    while (data.length - offset >= 9) {
      const length = (data[offset]! << 16) | (data[offset + 1]! << 8) | data[offset + 2]!;
      if (data.length - offset - 9 < length) break;
      const streamId = ((data[offset + 5]! & 0x7f) << 24) | (data[offset + 6]! << 16) | (data[offset + 7]! << 8) | data[offset + 8]!;
      // Copied: the capture reuses its buffers, and a header block may wait for its CONTINUATION.
      const payload = data.slice(offset + 9, offset + 9 + length);
      this.onFrame({ type: data[offset + 3]!, flags: data[offset + 4]!, streamId, payload });
      offset += 9 + length;
    }
    this.pending = offset === data.length ? new Uint8Array(0) : data.slice(offset);
    data = this.pending;
  }

  get bufferedBytes(): number {
    return this.pending.length;
  }
}

/** The payload without its padding (PADDED flag: a pad-length byte first, that many zero bytes last). */
export function unpadded(frame: Frame): Uint8Array | undefined {
  if (!(frame.flags & FLAG.padded)) return frame.payload;
  const padLength = frame.payload[0];
  if (padLength === undefined || padLength >= frame.payload.length) return undefined;
  return frame.payload.subarray(1, frame.payload.length - padLength);
}

/** Whether the bytes start with the HTTP/2 client connection preface (prior knowledge, or after an h2c upgrade). */
export function startsWithPreface(bytes: Uint8Array): boolean | undefined {
  const n = Math.min(bytes.length, CLIENT_PREFACE.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== CLIENT_PREFACE[i]) return false;
  return n === CLIENT_PREFACE.length ? true : undefined;
}

/**
 * Whether bytes read from the middle of a connection look like a sequence of HTTP/2 frames: known types,
 * plausible lengths, and at least two frame headers that line up. Used to tell a capture that joined an
 * h2 connection late (its HPACK state unknown) from traffic that is not HTTP at all.
 */
export function looksLikeFrames(bytes: Uint8Array): boolean {
  let offset = 0;
  let frames = 0;
  while (bytes.length - offset >= 9 && frames < 4) {
    const length = (bytes[offset]! << 16) | (bytes[offset + 1]! << 8) | bytes[offset + 2]!;
    const type = bytes[offset + 3]!;
    if (type > FRAME.continuation || length > MAX_FRAME_LENGTH || (bytes[offset + 5]! & 0x80) !== 0) return false;
    frames++;
    offset += 9 + length;
  }
  return frames >= 2 || (frames === 1 && offset === bytes.length);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
