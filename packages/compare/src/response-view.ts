/**
 * A response message as the analyzer compares it: status, headers by lower-case name, the media
 * type and the body with its transfer and content codings removed.
 */
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { dechunk, parseHttpHead, type Message } from '@reprise/core';

export interface ResponseView {
  status: string;
  /** Lower-case name → value; repeated headers joined with `, ` (Set-Cookie with `\n`). */
  headers: Map<string, string>;
  /** `application/json` (lower case, no parameters), or ''. */
  contentType: string;
  body: Buffer;
}

export function viewResponse(message: Message): ResponseView {
  const payload = message.payload;
  const head = parseHttpHead(payload);
  if (!head) return { status: '', headers: new Map(), contentType: '', body: Buffer.alloc(0) };
  const headers = new Map<string, string>();
  for (const [name, value] of head.headers) {
    const key = name.toLowerCase();
    const previous = headers.get(key);
    headers.set(key, previous === undefined ? value : `${previous}${key === 'set-cookie' ? '\n' : ', '}${value}`);
  }
  const raw = Buffer.from(payload.buffer, payload.byteOffset + head.bodyOffset, payload.byteLength - head.bodyOffset);
  const chunked = /chunked\s*$/i.test(headers.get('transfer-encoding') ?? '');
  const unframed = chunked ? (dechunk(raw)?.body ?? raw) : raw;
  const contentType = (headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  return { status: head.startLine[1], headers, contentType, body: decodeContent(unframed, headers.get('content-encoding')) };
}

/** Removes gzip/deflate/br codings (listed in the order applied); a body that fails to decode stays as sent. */
export function decodeContent(body: Buffer, contentEncoding: string | undefined): Buffer {
  if (!contentEncoding || body.length === 0) return body;
  const codings = contentEncoding.toLowerCase().split(',').map((c) => c.trim()).filter((c) => c && c !== 'identity');
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
