/**
 * Decodes an HTTP/1.1 chunked body (RFC 9112 §7.1) into its bytes. Pure: tested on bytes.
 * Chunk extensions are dropped; trailers are left where `trailerOffset` says. Used to replay chunked requests and to
 * compare chunked responses.
 */
export interface DechunkResult {
  body: Buffer;
  /** False when the recording ends before the last (zero-size) chunk: the body is what was captured. */
  isComplete: boolean;
  /** Where the trailer section (header lines, then an empty line) starts, when the last chunk was seen. */
  trailerOffset?: number;
}

const CR = 13;
const LF = 10;

function hexValue(byte: number): number {
  if (byte >= 48 && byte <= 57) return byte - 48;
  if (byte >= 97 && byte <= 102) return byte - 87;
  if (byte >= 65 && byte <= 70) return byte - 55;
  return -1;
}

/** Returns undefined when a chunk-size line is malformed (not hexadecimal). */
export function dechunk(bytes: Uint8Array, from = 0): DechunkResult | undefined {
  const parts: Uint8Array[] = [];
  let total = 0;
  let at = from;
  for (;;) {
    // chunk-size [; ext] CRLF
    let size = 0;
    let digits = 0;
    while (at < bytes.length) {
      const v = hexValue(bytes[at]!);
      if (v < 0) break;
      size = size * 16 + v;
      digits++;
      at++;
    }
    if (at >= bytes.length) return { body: concat(parts, total), isComplete: false };
    if (digits === 0 || size > Number.MAX_SAFE_INTEGER / 16) return undefined;
    const lineEnd = bytes.indexOf(LF, at);
    if (lineEnd < 0) return { body: concat(parts, total), isComplete: false };
    const rest = bytes[at];
    if (rest !== CR && rest !== LF && rest !== 0x3b /* ; */ && rest !== 0x20 && rest !== 0x09) return undefined;
    at = lineEnd + 1;
    if (size === 0) return { body: concat(parts, total), isComplete: true, trailerOffset: at };
    const end = Math.min(at + size, bytes.length);
    parts.push(bytes.subarray(at, end));
    total += end - at;
    if (end < at + size) return { body: concat(parts, total), isComplete: false };
    at = end;
    // the CRLF after the chunk data
    if (bytes[at] === CR) at++;
    if (bytes[at] === LF) at++;
  }
}

function concat(parts: Uint8Array[], total: number): Buffer {
  if (parts.length === 1) {
    const p = parts[0]!;
    return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  }
  return Buffer.concat(parts, total);
}
