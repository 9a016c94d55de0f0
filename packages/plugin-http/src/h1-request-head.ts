/**
 * Turns a recorded HTTP/1.x request into the bytes the HTTP/1.1 sender writes. Pure: tested on bytes.
 *
 * The recorded bytes are sent as they are, cut where a line must change: Host is rewritten to the
 * target (or added when absent), and the hop-by-hop headers that belong to the recorded client's
 * connection are left out (Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade, Expect, and
 * the body framing: Content-Length and Transfer-Encoding, replaced by the Content-Length of the body
 * actually sent: a chunked body is decoded, a truncated one is sent as captured). A request the byte
 * path does not cover (an absolute-form target, an HTTP/1.0 line, bare LF line ends, folded lines, a
 * Connection header naming other headers) is rebuilt from `toReplayRequest`, the parse the undici
 * path uses, so both send the same request.
 */
import { dechunk } from '@reprise/core';
import { equalsIgnoringCase, isBlank } from './ascii-bytes.js';
import { IDEMPOTENT_METHODS, toReplayRequest, type ReplayRequestProblem } from './replay-request.js';

export interface H1Request {
  method: string;
  /** May be pipelined and sent again when a connection drops under it (RFC 9110 §9.2.2). */
  isIdempotent: boolean;
  /** The bytes to write, in order: views of the recorded payload and edited lines. */
  parts: Uint8Array[];
  byteLength: number;
}

export type H1RequestProblem = ReplayRequestProblem | 'bad-header';

/** Methods whose request announces its (possibly empty) body length, as undici does. */
const EXPECTS_BODY = new Set(['POST', 'PUT', 'PATCH', 'QUERY']);
const CR = 13;
const LF = 10;
const CRLF = Buffer.from('\r\n', 'latin1');

/** tchar of RFC 9110 §5.6.2: what a method or header name may hold. */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN[c.charCodeAt(0)] = 1;
const TOKEN_TEXT = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Characters a header value may not hold (controls other than tab). */
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

function isToken(bytes: Uint8Array, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) if (TOKEN[bytes[i]!] === 0) return false;
  return true;
}

/** Header names (lower case) the byte path leaves out, by length so most names are not compared at all. */
const DROPPED_BY_LENGTH = new Map<number, string[]>();
for (const name of ['keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'transfer-encoding', 'expect', 'content-length']) {
  DROPPED_BY_LENGTH.set(name.length, [...(DROPPED_BY_LENGTH.get(name.length) ?? []), name]);
}

function droppedName(bytes: Uint8Array, start: number, end: number): string | undefined {
  const candidates = DROPPED_BY_LENGTH.get(end - start);
  if (candidates === undefined) return undefined;
  for (const name of candidates) if (equalsIgnoringCase(bytes, start, end, name)) return name;
  return undefined;
}

/** Whether a Connection value is only `keep-alive` or `close` (naming no other header). */
function isPlainConnection(bytes: Uint8Array, start: number, end: number): boolean {
  let valueStart = start;
  let valueEnd = end;
  while (valueStart < valueEnd && isBlank(bytes[valueStart])) valueStart++;
  while (valueEnd > valueStart && isBlank(bytes[valueEnd - 1])) valueEnd--;
  return equalsIgnoringCase(bytes, valueStart, valueEnd, 'keep-alive') || equalsIgnoringCase(bytes, valueStart, valueEnd, 'close');
}

/** Whether the name at `start` is spelled `Host` (the usual case, whose rewritten line is made once). */
function isSpelledHost(bytes: Uint8Array, start: number): boolean {
  return bytes[start] === 72 && bytes[start + 1] === 111 && bytes[start + 2] === 115 && bytes[start + 3] === 116;
}

function asBuffer(payload: Uint8Array): Buffer {
  return Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

export class H1RequestWriter {
  /** `Host: <target>\r\n` for the common spelling of the name, made once. */
  private readonly hostLine: Buffer | undefined;

  /**
   * `hostHeader`, when given, replaces the recorded Host value; `originHost` (host:port of the target)
   * is sent when the recording has no Host at all.
   */
  constructor(
    private readonly hostHeader: string | undefined,
    private readonly originHost: string,
  ) {
    this.hostLine = hostHeader === undefined ? undefined : Buffer.from(`Host: ${hostHeader}\r\n`, 'latin1');
  }

  build(payload: Uint8Array): H1Request | H1RequestProblem {
    const bytes = asBuffer(payload);
    return this.buildInPlace(bytes) ?? this.rebuild(bytes);
  }

  /** The byte path (it finds the end of the head itself); undefined when the request needs the rebuild. */
  private buildInPlace(bytes: Buffer): H1Request | H1RequestProblem | undefined {
    // request line: METHOD SP /origin-form SP HTTP/1.1 CRLF
    const lineEnd = bytes.indexOf(LF);
    const sp1 = bytes.indexOf(32);
    const sp2 = sp1 > 0 ? bytes.indexOf(32, sp1 + 1) : -1;
    if (sp1 <= 0 || sp2 < 0 || sp2 > lineEnd || bytes[sp1 + 1] !== 47 /* / */ || bytes[lineEnd - 1] !== CR) return undefined;
    if (lineEnd - 1 - sp2 !== 9 || !equalsIgnoringCase(bytes, sp2 + 1, lineEnd - 1, 'http/1.1') || bytes[sp2 + 1] !== 72 /* H */)
      return undefined;
    if (!isToken(bytes, 0, sp1)) return 'bad-request-line';
    // the usual method without a string made per request
    const method = sp1 === 3 && bytes[0] === 71 && bytes[1] === 69 && bytes[2] === 84 ? 'GET' : bytes.toString('latin1', 0, sp1);

    const parts: Uint8Array[] = [];
    let keptFrom = 0;
    let hasHost = false;
    let contentLength = -1;
    let isChunked = false;
    let line = lineEnd + 1;
    // the blank line's CRLF ends the head
    while (bytes[line] !== CR || bytes[line + 1] !== LF) {
      const next = bytes.indexOf(LF, line);
      if (next < 0 || bytes[next - 1] !== CR) return undefined;
      // the name, checked as it is scanned: a folded line, a bad name or no colon go to the rebuild
      let colon = line;
      while (TOKEN[bytes[colon]!] === 1) colon++;
      if (colon === line || bytes[colon] !== 58 /* : */) return undefined;
      let replacement: Uint8Array | null | undefined; // undefined: keep the line; null: leave it out
      if (colon - line === 4 && equalsIgnoringCase(bytes, line, colon, 'host')) {
        if (hasHost)
          replacement = null; // a second Host is not sent
        else {
          hasHost = true;
          if (this.hostHeader !== undefined) {
            replacement = isSpelledHost(bytes, line)
              ? this.hostLine
              : Buffer.from(`${bytes.toString('latin1', line, colon)}: ${this.hostHeader}\r\n`, 'latin1');
          }
        }
      } else if (colon - line === 10 && equalsIgnoringCase(bytes, line, colon, 'connection')) {
        if (!isPlainConnection(bytes, colon + 1, next - 1)) return undefined;
        replacement = null;
      } else {
        const name = droppedName(bytes, line, colon);
        if (name !== undefined) {
          replacement = null;
          if (name === 'content-length') {
            const n = Number(bytes.toString('latin1', colon + 1, next - 1).trim());
            if (Number.isInteger(n) && n >= 0 && (contentLength < 0 || n < contentLength)) contentLength = n;
          } else if (name === 'transfer-encoding') {
            isChunked = /(^|,)\s*chunked\s*$/i.test(bytes.toString('latin1', colon + 1, next - 1));
          }
        }
      }
      if (replacement !== undefined) {
        if (line > keptFrom) parts.push(bytes.subarray(keptFrom, line));
        if (replacement !== null) parts.push(replacement);
        keptFrom = next + 1;
      }
      line = next + 1;
    }

    const headEnd = line;
    const end = line + 2;
    let body: Uint8Array | undefined;
    let bodyEnd = end;
    if (isChunked) {
      const decoded = dechunk(bytes, end);
      if (decoded === undefined) return 'bad-chunked-body';
      if (decoded.body.length > 0) body = decoded.body;
    } else if (contentLength > 0) {
      // a truncated recording sends what was captured
      bodyEnd = Math.min(end + contentLength, bytes.length);
    }
    const bodyLength = body ? body.length : bodyEnd - end;
    let extra = hasHost ? '' : `host: ${this.originHost}\r\n`;
    if (bodyLength > 0) extra += `content-length: ${bodyLength}\r\n`;
    if (bodyLength === 0 && EXPECTS_BODY.has(method)) extra += 'content-length: 0\r\n';
    if (extra === '') {
      parts.push(bytes.subarray(keptFrom, bodyEnd));
    } else {
      if (headEnd > keptFrom) parts.push(bytes.subarray(keptFrom, headEnd));
      parts.push(Buffer.from(extra, 'latin1'));
      parts.push(body ? CRLF : bytes.subarray(headEnd, bodyEnd));
      if (body) parts.push(body);
    }
    let byteLength = 0;
    for (const part of parts) byteLength += part.length;
    return { method, isIdempotent: IDEMPOTENT_METHODS.has(method), parts, byteLength };
  }

  /** The general path: the undici path's parse, written back as an HTTP/1.1 head. */
  private rebuild(bytes: Buffer): H1Request | H1RequestProblem {
    const request = toReplayRequest(bytes, this.hostHeader);
    if (typeof request === 'string') return request;
    const { method, path, headers, body } = request;
    if (!TOKEN_TEXT.test(method)) return 'bad-request-line';
    let head = `${method} ${path} HTTP/1.1\r\n`;
    let hasHost = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      const value = headers[i + 1]!;
      if (!TOKEN_TEXT.test(name) || BAD_VALUE.test(value)) return 'bad-header';
      if (name.length === 4 && name.toLowerCase() === 'host') hasHost = true;
      head += `${name}: ${value}\r\n`;
    }
    if (!hasHost) head += `host: ${this.originHost}\r\n`;
    if (body) head += `content-length: ${body.length}\r\n`;
    else if (EXPECTS_BODY.has(method)) head += 'content-length: 0\r\n';
    head += '\r\n';
    const parts: Uint8Array[] = [Buffer.from(head, 'latin1')];
    if (body) parts.push(body);
    return { method, isIdempotent: IDEMPOTENT_METHODS.has(method), parts, byteLength: parts[0]!.length + (body ? body.length : 0) };
  }
}
