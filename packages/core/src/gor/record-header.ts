import { isWireProtocol, type MessageKind, type WireProtocol } from '../message.js';

/** The fields of a header line; one object is reused for every record (no allocation per record). */
export interface RecordHeader {
  kind: MessageKind;
  id: string;
  timestamp: bigint;
  latency: bigint;
  /** The optional 5th field; undefined for HTTP/1.x records. */
  protocol: WireProtocol | undefined;
  /** Offset of the first payload byte (just after the header's newline). */
  payloadStart: number;
}

export function emptyRecordHeader(): RecordHeader {
  return { kind: 'request', id: '', timestamp: 0n, latency: 0n, protocol: undefined, payloadStart: 0 };
}

const SPACE = 0x20;
const LF = 0x0a;
const ZERO = 0x30;
const ID_LENGTH = 24;
/** 0 for a lowercase hex digit, 1 otherwise: OR-ing table lookups checks an id without branches (7x faster). */
const NOT_HEX = new Uint8Array(256).fill(1);
for (const c of '0123456789abcdef') NOT_HEX[c.charCodeAt(0)] = 0;
/** A decimal digit's value, or 255. */
const DIGIT = new Uint8Array(256).fill(255);
for (let d = 0; d < 10; d++) DIGIT[ZERO + d] = d;
/** 15 decimal digits always fit a double exactly; longer numbers go through BigInt(string). */
const SAFE_DIGITS = 15;
/** int64 has 19 digits; allow 20 so an unsigned value is not called corrupt. */
const MAX_DIGITS = 20;
/** Longer than any known protocol token: stops the scan of a bad line early. */
const MAX_PROTOCOL_LENGTH = 8;

/**
 * Parses `TYPE ID TIMESTAMP LATENCY [PROTOCOL]\n` at `start`, looking no further than `end` (the
 * separator), into `into`. Returns undefined, or why the line is not a header.
 * The latency field is optional: GoReplay before 1.0 wrote three fields (latency is then 0).
 * PROTOCOL (`h2c`, `h2`) is reprise's: GoReplay reads only the first three fields and ignores it.
 */
export function parseRecordHeader(bytes: Buffer, start: number, end: number, into: RecordHeader): string | undefined {
  const kind = kindOfTypeByte(bytes[start]!);
  if (kind === undefined || start + 1 >= end) return fail(`payload type is not 1, 2 or 3`);
  if (bytes[start + 1] !== SPACE) return fail('payload type is not followed by a space');
  const idStart = start + 2;
  const idEnd = idStart + ID_LENGTH;
  if (idEnd >= end) return fail('header line ends before the id');
  let notHex = 0;
  for (let i = idStart; i < idEnd; i++) notHex |= NOT_HEX[bytes[i]!]!;
  if (notHex !== 0 || bytes[idEnd] !== SPACE) return fail('id is not 24 lowercase hex characters');

  const tsStart = idEnd + 1;
  let i = tsStart;
  while (i < end && DIGIT[bytes[i]!]! < 10) i++;
  const tsEnd = i;
  if (tsEnd === tsStart || tsEnd - tsStart > MAX_DIGITS) return fail('timestamp is not a decimal number');
  let latency = 0n;
  if (bytes[i] === SPACE) {
    const latStart = ++i;
    while (i < end && DIGIT[bytes[i]!]! < 10) i++;
    if (i === latStart || i - latStart > MAX_DIGITS) return fail('latency is not a decimal number');
    // GoReplay writes 0 for most records: skip the BigInt work.
    latency = i - latStart === 1 && bytes[latStart] === ZERO ? 0n : decimal(bytes, latStart, i);
  }
  let protocol: WireProtocol | undefined;
  if (bytes[i] === SPACE) {
    const tokenStart = ++i;
    while (i < end && i - tokenStart <= MAX_PROTOCOL_LENGTH && bytes[i] !== LF) i++;
    const token = bytes.toString('latin1', tokenStart, i);
    if (!isWireProtocol(token)) return fail(`protocol "${token.slice(0, MAX_PROTOCOL_LENGTH)}" is not h2c or h2`);
    protocol = token;
  }
  if (i >= end) return fail('header line has no newline before the separator');
  if (bytes[i] !== LF) return fail('header line has unexpected characters after the timestamp');
  into.kind = kind;
  into.id = bytes.toString('latin1', idStart, idEnd);
  into.timestamp = decimal(bytes, tsStart, tsEnd);
  into.latency = latency;
  into.protocol = protocol;
  into.payloadStart = i + 1;
  return undefined;
}

function kindOfTypeByte(byte: number): MessageKind | undefined {
  if (byte === 0x31) return 'request';
  if (byte === 0x32) return 'response';
  if (byte === 0x33) return 'replayed-response';
  return undefined;
}

function decimal(bytes: Buffer, start: number, end: number): bigint {
  if (end - start > SAFE_DIGITS) {
    // Split in two exact doubles: faster than BigInt(string), which needs a string first.
    const split = end - 9;
    return BigInt(digits(bytes, start, split)) * 1_000_000_000n + BigInt(digits(bytes, split, end));
  }
  return BigInt(digits(bytes, start, end));
}

function digits(bytes: Buffer, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) n = n * 10 + DIGIT[bytes[i]!]!;
  return n;
}

function fail(reason: string): string {
  return reason;
}
