import { parseHttpHead, type Message } from '@reprise/core';
import type { Exchange } from './join.js';

/** What goes into a document besides the fixed fields. */
export interface DocumentOptions {
  /** Index request and response bodies (off by default: they may hold personal data). */
  includeBodies: boolean;
  /** Bodies longer than this are cut (and flagged `*_Body-Truncated`). */
  bodyLimitBytes: number;
  /** Keep Authorization, Cookie and Set-Cookie values as they are instead of redacting them. */
  keepSensitiveHeaders: boolean;
}

/** One indexed document: GoReplay's `ESRequestResponse` fields plus reprise's own (see README). */
export type EsDocument = Record<string, string | number | boolean>;

export const REDACTED = '[redacted]';

// Request headers GoReplay indexes, by lower-case name → field name.
const REQUEST_FIELDS: Record<string, string> = {
  'user-agent': 'Req_User-Agent',
  'accept-language': 'Req_Accept-Language',
  accept: 'Req_Accept',
  'accept-encoding': 'Req_Accept-Encoding',
  'if-modified-since': 'Req_If-Modified-Since',
  connection: 'Req_Connection',
  'content-type': 'Req_Content-Type',
};
const RESPONSE_FIELDS: Record<string, string> = {
  'content-type': 'Resp_Content-Type',
  'transfer-encoding': 'Resp_Transfer-Encoding',
  'content-encoding': 'Resp_Content-Encoding',
  expires: 'Resp_Expires',
  'cache-control': 'Resp_Cache-Control',
  vary: 'Resp_Vary',
};

/**
 * Builds the document of one exchange, or returns undefined when there is no request (a response
 * whose request never came) or the request has no readable HTTP head.
 */
export function exchangeToDocument(exchange: Exchange, options: DocumentOptions): EsDocument | undefined {
  const request = exchange.request;
  if (request === undefined) return undefined;
  const doc: EsDocument = {};
  if (!addRequestFields(doc, request, options)) return undefined;
  doc['Req_Id'] = exchange.id;
  doc['Timestamp'] = new Date(Number(request.timestamp / 1_000_000n)).toISOString();

  const { original, replayed } = exchange;
  // GoReplay's Resp_* fields describe the replayed response; without replay, the original one.
  const primary = replayed ?? original;
  if (primary !== undefined) {
    const code = addResponseFields(doc, primary, options);
    doc['RTT'] = latencyMs(request, primary);
    doc['Resp_Source'] = primary === replayed ? 'replayed' : 'original';
    if (code === undefined) doc['Resp_Unparsable'] = true;
  }
  let originalCode: string | undefined;
  let replayedCode: string | undefined;
  if (original !== undefined) {
    originalCode = statusCodeOf(original);
    if (originalCode !== undefined) doc['Orig_Status-Code'] = originalCode;
    doc['Orig_RTT'] = latencyMs(request, original);
  }
  if (replayed !== undefined) {
    replayedCode = statusCodeOf(replayed);
    if (replayedCode !== undefined) doc['Replay_Status-Code'] = replayedCode;
    doc['Replay_RTT'] = latencyMs(request, replayed);
  }
  if (original !== undefined && replayed !== undefined) doc['Status_Mismatch'] = originalCode !== replayedCode;
  return doc;
}

function addRequestFields(doc: EsDocument, request: Message, options: DocumentOptions): boolean {
  const head = parseHttpHead(request.payload);
  if (head === undefined || head.startLine[1] === '') return false;
  const [method, target, proto] = head.startLine;
  doc['Req_URL'] = target;
  doc['Req_Method'] = method;
  if (proto) doc['Req_Proto'] = proto;
  let host: string | undefined;
  for (const [name, value] of head.headers) {
    const lower = name.toLowerCase();
    const field = REQUEST_FIELDS[lower];
    if (field !== undefined) {
      if (!(field in doc)) doc[field] = value;
    } else if (lower === 'host') {
      host ??= value;
    } else if (lower === 'cookie') {
      doc['Req_Cookies'] = joinValue(doc['Req_Cookies'], options.keepSensitiveHeaders ? value : redactCookies(value), '; ');
    } else if (lower === 'authorization') {
      doc['Req_Authorization'] = options.keepSensitiveHeaders ? value : redactAuthorization(value);
    } else if (lower === 'content-length') {
      const length = Number(value);
      if (Number.isSafeInteger(length)) doc['Req_Content-Length'] = length;
    }
  }
  // absolute-form targets (`GET http://host/path`, as proxies receive them) carry the host themselves
  let pathAndQuery = target;
  const absolute = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(target);
  if (absolute) {
    host ??= absolute[1];
    pathAndQuery = target.slice(absolute[0].length) || '/';
  }
  if (host !== undefined) doc['Req_Host'] = host;
  const question = pathAndQuery.indexOf('?');
  doc['Req_Path'] = question < 0 ? pathAndQuery : pathAndQuery.slice(0, question);
  if (question >= 0) doc['Req_Query'] = pathAndQuery.slice(question + 1);
  if (options.includeBodies) addBody(doc, 'Req', request.payload, head.bodyOffset, options.bodyLimitBytes);
  return true;
}

/** Adds the Resp_* fields; returns the status code, or undefined when the head is unreadable. */
function addResponseFields(doc: EsDocument, response: Message, options: DocumentOptions): string | undefined {
  const head = parseHttpHead(response.payload);
  if (head === undefined) return undefined;
  const [proto, code, reason] = head.startLine;
  doc['Resp_Status'] = reason ? `${code} ${reason}` : code;
  doc['Resp_Status-Code'] = code;
  if (proto) doc['Resp_Proto'] = proto;
  for (const [name, value] of head.headers) {
    const lower = name.toLowerCase();
    const field = RESPONSE_FIELDS[lower];
    if (field !== undefined) {
      if (!(field in doc)) doc[field] = value;
    } else if (lower === 'set-cookie') {
      doc['Resp_Set-Cookie'] = joinValue(doc['Resp_Set-Cookie'], options.keepSensitiveHeaders ? value : redactSetCookie(value), '\n');
    } else if (lower === 'content-length') {
      const length = Number(value);
      if (Number.isSafeInteger(length)) doc['Resp_Content-Length'] = length;
    }
  }
  if (options.includeBodies) addBody(doc, 'Resp', response.payload, head.bodyOffset, options.bodyLimitBytes);
  return code;
}

function statusCodeOf(response: Message): string | undefined {
  // Only the status line is needed: `HTTP/1.1 200 OK`.
  const bytes = response.payload;
  let sp = bytes.indexOf(0x20);
  if (sp < 0) return undefined;
  while (bytes[sp] === 0x20) sp++;
  let end = sp;
  while (end < bytes.length && bytes[end]! >= 0x30 && bytes[end]! <= 0x39) end++;
  if (end === sp) return undefined;
  return Buffer.from(bytes.buffer, bytes.byteOffset + sp, end - sp).toString('latin1');
}

/**
 * Milliseconds from the request to the response: the response's own latency when it has one,
 * otherwise the difference of their timestamps (GoReplay 1.3.2 records 0 for captured responses).
 */
export function latencyMs(request: Message, response: Message): number {
  let ns = response.latency;
  if (ns <= 0n) ns = response.timestamp - request.timestamp;
  if (ns < 0n) ns = 0n;
  return Number(ns / 1000n) / 1000;
}

function addBody(doc: EsDocument, prefix: 'Req' | 'Resp', payload: Uint8Array, bodyOffset: number, limitBytes: number): void {
  const length = payload.length - bodyOffset;
  if (length <= 0) return;
  const kept = Math.min(length, limitBytes);
  doc[`${prefix}_Body`] = Buffer.from(payload.buffer, payload.byteOffset + bodyOffset, kept).toString('utf8');
  if (kept < length) doc[`${prefix}_Body-Truncated`] = true;
}

function joinValue(previous: string | number | boolean | undefined, value: string, separator: string): string {
  return previous === undefined ? value : `${String(previous)}${separator}${value}`;
}

/** `Bearer abc` → `Bearer [redacted]`: the scheme stays, for analytics; the secret goes. */
export function redactAuthorization(value: string): string {
  const space = value.indexOf(' ');
  return space > 0 ? `${value.slice(0, space)} ${REDACTED}` : REDACTED;
}

/** `a=1; b=2` → `a=[redacted]; b=[redacted]`: cookie names stay, values go. */
export function redactCookies(value: string): string {
  return value
    .split(';')
    .map((pair) => {
      const trimmed = pair.trim();
      const eq = trimmed.indexOf('=');
      return eq < 0 ? REDACTED : `${trimmed.slice(0, eq)}=${REDACTED}`;
    })
    .join('; ');
}

/** `sid=abc; Path=/; HttpOnly` → `sid=[redacted]`: the cookie's name stays, its value goes. */
export function redactSetCookie(value: string): string {
  const first = value.split(';', 1)[0]!.trim();
  const eq = first.indexOf('=');
  return eq < 0 ? REDACTED : `${first.slice(0, eq)}=${REDACTED}`;
}
