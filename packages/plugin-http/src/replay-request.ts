/**
 * Turns recorded HTTP/1.x request bytes into what undici sends: method, origin-form path, headers in
 * recorded order (flat [name, value, …]) and body. Pure: tested on bytes.
 *
 * Hop-by-hop headers belong to the recorded client's connection, not to ours, and undici frames the
 * body itself, so Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade, Transfer-Encoding,
 * Expect and Content-Length are not copied (undici writes Content-Length from the body), nor is any
 * header that the Connection header names.
 */
import { dechunk, findHeadEnd } from '@reprise/core';

export interface ReplayRequest {
  method: string;
  /** Origin-form: `/path?query` (an absolute-form target is reduced to it). */
  path: string;
  /** Flat list: name, value, name, value… names as recorded. */
  headers: string[];
  body: Buffer | null;
  /** The recorded TE header named `trailers` (dropped for HTTP/1.1, sent again over HTTP/2). */
  hasTeTrailers: boolean;
}

/** Methods that may be pipelined and sent again when a connection drops under them (RFC 9110 §9.2.2). */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

export type ReplayRequestProblem = 'no-head' | 'bad-request-line' | 'bad-chunked-body';

/** Header names (lower case) never copied; their lengths let most names skip the lower-casing. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'transfer-encoding',
  'expect',
  'content-length',
]);
const PLAIN_CONNECTION = /^(keep-alive|close)$/i;
const HOP_BY_HOP_LENGTHS = new Set([...HOP_BY_HOP].map((n) => n.length).concat(4 /* host */));

function isBlank(code: number): boolean {
  return code === 32 || code === 9;
}

function toOriginForm(target: string): string | undefined {
  if (target.charCodeAt(0) === 47 /* / */) return target;
  const scheme = target.indexOf('://');
  if (scheme > 0 && /^https?$/i.test(target.slice(0, scheme))) {
    const slash = target.indexOf('/', scheme + 3);
    const query = target.indexOf('?', scheme + 3);
    if (slash < 0 && query < 0) return '/';
    if (slash < 0 || (query >= 0 && query < slash)) return '/' + target.slice(query);
    return target.slice(slash);
  }
  return undefined;
}

/**
 * Parses `payload`. `hostHeader`, when given, replaces the recorded Host value (GoReplay rewrites Host
 * to the target unless --http-original-host).
 */
export function toReplayRequest(payload: Uint8Array, hostHeader: string | undefined): ReplayRequest | ReplayRequestProblem {
  const end = findHeadEnd(payload);
  if (end < 0) return 'no-head';
  const head = Buffer.from(payload.buffer, payload.byteOffset, end).toString('latin1');

  let lineEnd = head.indexOf('\n');
  const requestLine = head.slice(0, head.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd);
  const sp1 = requestLine.indexOf(' ');
  const sp2 = requestLine.lastIndexOf(' ');
  if (sp1 <= 0 || sp2 <= sp1) return 'bad-request-line';
  const method = requestLine.slice(0, sp1);
  const path = toOriginForm(requestLine.slice(sp1 + 1, sp2).trim());
  if (path === undefined) return 'bad-request-line';

  const headers: string[] = [];
  let contentLength = -1;
  let isChunked = false;
  let hasTeTrailers = false;
  let hasHost = false;
  let connectionTokens: string | undefined;
  let start = lineEnd + 1;
  while (start < head.length) {
    lineEnd = head.indexOf('\n', start);
    if (lineEnd < 0) lineEnd = head.length;
    const stop = head.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd;
    if (stop > start) {
      const first = head.charCodeAt(start);
      if ((first === 32 || first === 9) && headers.length > 0) {
        // obsolete line folding: the line continues the previous value
        headers[headers.length - 1] += ' ' + head.slice(start, stop).trim();
      } else {
        const colon = head.indexOf(':', start);
        if (colon > start && colon < stop) {
          // One slice per name and value, trimmed by index: this runs for every header of every request.
          let nameEnd = colon;
          while (nameEnd > start && isBlank(head.charCodeAt(nameEnd - 1))) nameEnd--;
          let valueStart = colon + 1;
          let valueEnd = stop;
          while (valueStart < valueEnd && isBlank(head.charCodeAt(valueStart))) valueStart++;
          while (valueEnd > valueStart && isBlank(head.charCodeAt(valueEnd - 1))) valueEnd--;
          const name = head.slice(start, nameEnd);
          const value = head.slice(valueStart, valueEnd);
          let keep = true;
          if (HOP_BY_HOP_LENGTHS.has(name.length)) {
            const lower = name.toLowerCase();
            if (lower === 'host') {
              // undici refuses a second Host; the first one is the request's
              if (hasHost) keep = false;
              else {
                hasHost = true;
                if (hostHeader !== undefined) {
                  headers.push(name, hostHeader);
                  keep = false;
                }
              }
            } else if (HOP_BY_HOP.has(lower)) {
              keep = false;
              if (lower === 'content-length') {
                const n = Number(value);
                if (Number.isInteger(n) && n >= 0 && (contentLength < 0 || n < contentLength)) contentLength = n;
              } else if (lower === 'transfer-encoding') {
                isChunked = /(^|,)\s*chunked\s*$/i.test(value);
              } else if (lower === 'te') {
                hasTeTrailers = /(^|,)\s*trailers\s*(,|;|$)/i.test(value);
              } else if (lower === 'connection' && !PLAIN_CONNECTION.test(value)) {
                // only a Connection header naming other headers needs the second pass
                connectionTokens = connectionTokens === undefined ? value : `${connectionTokens},${value}`;
              }
            }
          }
          if (keep) headers.push(name, value);
        }
      }
    }
    start = lineEnd + 1;
  }
  if (connectionTokens !== undefined) dropNamedByConnection(headers, connectionTokens);

  let body: Buffer | null = null;
  if (isChunked) {
    const decoded = dechunk(payload, end);
    if (decoded === undefined) return 'bad-chunked-body';
    body = decoded.body.length ? decoded.body : null;
  } else if (contentLength > 0) {
    // a truncated recording sends what was captured (undici then writes the real length)
    const stop = Math.min(end + contentLength, payload.length);
    if (stop > end) body = Buffer.from(payload.buffer, payload.byteOffset + end, stop - end);
  }
  return { method, path, headers, body, hasTeTrailers };
}

/** Removes headers that the Connection header lists as hop-by-hop (other than close/keep-alive). */
function dropNamedByConnection(headers: string[], tokens: string): void {
  const named = new Set<string>();
  for (const token of tokens.split(',')) {
    const t = token.trim().toLowerCase();
    if (t && t !== 'close' && t !== 'keep-alive' && t !== 'host') named.add(t);
  }
  if (named.size === 0) return;
  let out = 0;
  for (let i = 0; i < headers.length; i += 2) {
    if (named.has(headers[i]!.toLowerCase())) continue;
    headers[out++] = headers[i]!;
    headers[out++] = headers[i + 1]!;
  }
  headers.length = out;
}
