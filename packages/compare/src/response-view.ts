/**
 * A response message as the analyzer compares it: status, headers by lower-case name, the media
 * type and the body with its transfer and content codings removed.
 */
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { dechunk, findHeadEnd, latin1Text, type Message } from '@reprise/core';

export interface ResponseView {
  status: string;
  /** Lower-case name → value; repeated headers joined with `, ` (Set-Cookie with `\n`). */
  headers: Map<string, string>;
  /** `application/json` (lower case, no parameters), or ''. */
  contentType: string;
  body: Buffer;
  /** A chunked body's trailer section, lower-case name → value (gRPC's grpc-status travels there). */
  trailers: ReadonlyMap<string, string>;
  /**
   * A gRPC response's status: the `grpc-status` trailer, or the header of a Trailers-Only response
   * (an error answered with headers alone). Undefined for any other response.
   */
  grpcStatus: string | undefined;
  /** Its `grpc-message`, as sent (percent-encoded), from the same place. */
  grpcMessage: string | undefined;
}

const EMPTY = Buffer.alloc(0);
const CR = 0x0d;
/** Shared by every response without trailers (most of them): nothing is allocated for them. */
const NO_TRAILERS: ReadonlyMap<string, string> = new Map();

export function viewResponse(message: Message): ResponseView {
  const p = message.payload;
  const payload = Buffer.isBuffer(p) ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  // One string for the whole head, then plain string scans: this runs 2-3 times per exchange.
  const headEnd = findHeadEnd(payload);
  if (headEnd < 0)
    return {
      status: '',
      headers: new Map(),
      contentType: '',
      body: EMPTY,
      trailers: NO_TRAILERS,
      grpcStatus: undefined,
      grpcMessage: undefined,
    };
  // Buffer's own latin1 decoder without toString's argument checks, which cost as much here.
  const head = latin1Text(payload, 0, headEnd);
  const lineEnd = head.indexOf('\n');
  const statusLine = head.slice(0, lineEnd);
  const sp = statusLine.indexOf(' ');
  const status = sp < 0 ? '' : statusLine.slice(sp + 1, sp + 4);
  const headers = headerLines(head, lineEnd + 1);
  const raw = payload.subarray(headEnd);
  const transferEncoding = headers.get('transfer-encoding');
  const chunked = transferEncoding !== undefined && /chunked\s*$/i.test(transferEncoding);
  const dechunked = chunked ? dechunk(raw) : undefined;
  const unframed = dechunked?.body ?? raw;
  const trailerOffset = dechunked?.trailerOffset;
  // Most chunked bodies end with an empty trailer section: a bare CRLF.
  const trailers = trailerOffset === undefined || raw[trailerOffset] === CR ? NO_TRAILERS : trailerLines(raw, trailerOffset);
  const type = headers.get('content-type');
  const contentType = type === undefined ? '' : mediaType(type);
  // The status of a gRPC call is in its trailers, or in its only header block (Trailers-Only).
  const grpcFrom = trailers.size > 0 && trailers.has('grpc-status') ? trailers : headers;
  return {
    status,
    headers,
    contentType,
    body: decodeContent(unframed, headers.get('content-encoding')),
    trailers,
    // Always present (undefined when absent), so every view has one shape.
    grpcStatus: grpcFrom.get('grpc-status'),
    grpcMessage: grpcFrom.get('grpc-message'),
  };
}

/** `name: value` lines from `from` to the end of `text` (or an empty line), by lower-case name. */
function headerLines(text: string, from: number): Map<string, string> {
  const headers = new Map<string, string>();
  let lineEnd: number;
  for (let start = from; start < text.length; start = lineEnd + 1) {
    lineEnd = text.indexOf('\n', start);
    if (lineEnd < 0) lineEnd = text.length;
    const colon = text.indexOf(':', start);
    if (colon <= start || colon > lineEnd) continue;
    // Bounds first, then one slice each: trim() after slice() made a second string per line.
    let keyStart = start;
    let keyEnd = colon;
    while (keyStart < keyEnd && isBlank(text.charCodeAt(keyStart))) keyStart++;
    while (keyEnd > keyStart && isBlank(text.charCodeAt(keyEnd - 1))) keyEnd--;
    let valueStart = colon + 1;
    let valueEnd = lineEnd;
    while (valueStart < valueEnd && isBlank(text.charCodeAt(valueStart))) valueStart++;
    while (valueEnd > valueStart && isBlank(text.charCodeAt(valueEnd - 1))) valueEnd--;
    // toLowerCase returns the same string when nothing changes (the usual case for HTTP/2 and gRPC).
    const key = text.slice(keyStart, keyEnd).toLowerCase();
    const value = text.slice(valueStart, valueEnd);
    const previous = headers.get(key);
    headers.set(key, previous === undefined ? value : `${previous}${key === 'set-cookie' ? '\n' : ', '}${value}`);
  }
  return headers;
}

/** Space and tab (HTTP's blanks around a name or value), CR and LF (a line's end). */
function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0d || code === 0x0a;
}

function trailerLines(raw: Buffer, offset: number): Map<string, string> {
  // The section starts with its first field line and ends with an empty line (or the capture's end).
  const section = latin1Text(raw, offset, raw.length);
  const end = section.indexOf('\r\n\r\n');
  return headerLines(end < 0 ? section : section.slice(0, end), 0);
}

function mediaType(contentType: string): string {
  const semicolon = contentType.indexOf(';');
  return (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/** Removes gzip/deflate/br codings (listed in the order applied); a body that fails to decode stays as sent. */
export function decodeContent(body: Buffer, contentEncoding: string | undefined): Buffer {
  if (!contentEncoding || body.length === 0) return body;
  const codings = contentEncoding
    .toLowerCase()
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c && c !== 'identity');
  let out = body;
  try {
    for (let i = codings.length - 1; i >= 0; i--) {
      const coding = codings[i]!;
      if (coding === 'gzip' || coding === 'x-gzip') out = gunzipSync(out);
      else if (coding === 'br') out = brotliDecompressSync(out);
      else if (coding === 'deflate') out = inflateDeflate(out);
      else return body;
    }
  } catch {
    return body;
  }
  return out;
}

/** `deflate` is zlib-wrapped by the spec, raw in some servers: accept both. */
function inflateDeflate(body: Buffer): Buffer {
  try {
    return inflateSync(body);
  } catch {
    return inflateRawSync(body);
  }
}
