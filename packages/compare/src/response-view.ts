/**
 * A response message as the analyzer compares it: status, headers by lower-case name, the media
 * type and the body with its transfer and content codings removed.
 */
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { dechunk, findHeadEnd, type Message } from '@reprise/core';

export interface ResponseView {
  status: string;
  /** Lower-case name → value; repeated headers joined with `, ` (Set-Cookie with `\n`). */
  headers: Map<string, string>;
  /** `application/json` (lower case, no parameters), or ''. */
  contentType: string;
  body: Buffer;
}

const EMPTY = Buffer.alloc(0);

export function viewResponse(message: Message): ResponseView {
  const p = message.payload;
  const payload = Buffer.isBuffer(p) ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  // One string for the whole head, then plain string scans: this runs 2-3 times per exchange.
  const headEnd = findHeadEnd(payload);
  if (headEnd < 0) return { status: '', headers: new Map(), contentType: '', body: EMPTY };
  // latin1Slice is what toString('latin1') calls after its argument checks, which cost as much here.
  const head = (payload as Buffer & { latin1Slice(start: number, end: number): string }).latin1Slice(0, headEnd);
  let lineEnd = head.indexOf('\n');
  const statusLine = head.slice(0, lineEnd);
  const sp = statusLine.indexOf(' ');
  const status = sp < 0 ? '' : statusLine.slice(sp + 1, sp + 4);
  const headers = new Map<string, string>();
  for (let start = lineEnd + 1; start < head.length; start = lineEnd + 1) {
    lineEnd = head.indexOf('\n', start);
    if (lineEnd < 0) lineEnd = head.length;
    const colon = head.indexOf(':', start);
    if (colon <= start || colon > lineEnd) continue;
    const key = head.slice(start, colon).trim().toLowerCase();
    const value = head.slice(colon + 1, lineEnd).trim();
    const previous = headers.get(key);
    headers.set(key, previous === undefined ? value : `${previous}${key === 'set-cookie' ? '\n' : ', '}${value}`);
  }
  const raw = payload.subarray(headEnd);
  const transferEncoding = headers.get('transfer-encoding');
  const chunked = transferEncoding !== undefined && /chunked\s*$/i.test(transferEncoding);
  const unframed = chunked ? (dechunk(raw)?.body ?? raw) : raw;
  const type = headers.get('content-type');
  const contentType = type === undefined ? '' : mediaType(type);
  return { status, headers, contentType, body: decodeContent(unframed, headers.get('content-encoding')) };
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
