/**
 * GoReplay's --prettify-http on bytes: a chunked body is joined, a gzip/deflate/br body decoded, and
 * the head gets a matching Content-Length instead of Transfer-Encoding and Content-Encoding. Pure.
 */
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { dechunk, findHeadEnd } from '@reprise/core';

export type PrettifyOutcome =
  /** Nothing to decode (no chunked or known coding, no complete head, or an empty body). */
  | 'unchanged'
  | 'prettified'
  /** A body that does not decode (corrupt gzip, malformed chunks, too large): the message is left as it was. */
  | 'corrupt';

export interface PrettifyResult {
  payload: Uint8Array;
  outcome: PrettifyOutcome;
}

/** A decoded body larger than this is left encoded: a small gzip bomb must not take the process's memory. */
export const MAX_DECODED_BYTES = 64 * 1024 * 1024;

const DECODERS: Record<string, (body: Buffer) => Buffer> = {
  gzip: (body) => gunzipSync(body, { maxOutputLength: MAX_DECODED_BYTES }),
  'x-gzip': (body) => gunzipSync(body, { maxOutputLength: MAX_DECODED_BYTES }),
  br: (body) => brotliDecompressSync(body, { maxOutputLength: MAX_DECODED_BYTES }),
  deflate: (body) => {
    // RFC 9110 says zlib-wrapped, but some servers send raw deflate: accept both.
    try {
      return inflateSync(body, { maxOutputLength: MAX_DECODED_BYTES });
    } catch {
      return inflateRawSync(body, { maxOutputLength: MAX_DECODED_BYTES });
    }
  },
};

export function prettifyHttp(payload: Uint8Array): PrettifyResult {
  const unchanged: PrettifyResult = { payload, outcome: 'unchanged' };
  const headEnd = findHeadEnd(payload);
  if (headEnd < 0) return unchanged;
  const head = Buffer.from(payload.buffer, payload.byteOffset, headEnd).toString('latin1');
  const lines = head.split('\n');
  let isChunked = false;
  let codings: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const [name, value] = splitHeader(lines[i]!);
    if (name === 'transfer-encoding') isChunked = value.toLowerCase() === 'chunked';
    else if (name === 'content-encoding') codings = tokens(value);
  }
  // Only codings we can undo are undone; `identity` needs nothing, anything else stays encoded.
  const isDecodable = codings.length > 0 && codings.every((c) => c === 'identity' || c in DECODERS);
  if (!isChunked && !isDecodable) return unchanged;

  let body = Buffer.from(payload.buffer, payload.byteOffset + headEnd, payload.length - headEnd);
  if (isChunked) {
    const joined = dechunk(body);
    if (joined === undefined) return { payload, outcome: 'corrupt' };
    body = joined.body;
  }
  if (isDecodable && body.length > 0) {
    try {
      // Codings are listed in the order they were applied: undo them from the last.
      for (let i = codings.length - 1; i >= 0; i--) if (codings[i] !== 'identity') body = DECODERS[codings[i]!]!(body);
    } catch {
      return { payload, outcome: 'corrupt' };
    }
  } else if (!isChunked) {
    return unchanged; // an encoded empty body (HEAD, 304): nothing to decode
  }

  const newHead = rewriteHead(lines, isChunked, isDecodable, body.length);
  const out = Buffer.allocUnsafe(Buffer.byteLength(newHead, 'latin1') + body.length);
  const at = out.write(newHead, 'latin1');
  body.copy(out, at);
  return { payload: out, outcome: 'prettified' };
}

/**
 * The head with Transfer-Encoding (if dechunked) and Content-Encoding (if decoded) removed and one
 * Content-Length, in the place of the first header it replaces; other lines are kept as written.
 */
function rewriteHead(lines: string[], isChunked: boolean, isDecoded: boolean, bodyLength: number): string {
  const eol = lines[0]!.endsWith('\r') ? '\r\n' : '\n';
  const lengthLine = `Content-Length: ${bodyLength}${eol}`;
  let hasLength = false;
  let out = `${lines[0]}\n`;
  // lines ends with the blank line and the empty string after the last \n: stop before the blank line.
  const last = lines.length - 2;
  for (let i = 1; i < last; i++) {
    const line = lines[i]!;
    const [name] = splitHeader(line);
    const isReplaced =
      name === 'content-length' || (isChunked && name === 'transfer-encoding') || (isDecoded && name === 'content-encoding');
    if (!isReplaced) {
      out += `${line}\n`;
    } else if (!hasLength) {
      out += lengthLine;
      hasLength = true;
    }
  }
  if (!hasLength) out += lengthLine;
  return out + eol;
}

function splitHeader(line: string): [string, string] {
  const colon = line.indexOf(':');
  if (colon <= 0) return ['', ''];
  return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
}

function tokens(value: string): string[] {
  return value
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
}
