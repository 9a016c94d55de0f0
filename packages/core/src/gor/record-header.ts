import type { MessageKind } from '../message.js';

/** The fields of a header line; one object is reused for every record (no allocation per record). */
export interface RecordHeader {
  kind: MessageKind;
  id: string;
  timestamp: bigint;
  latency: bigint;
  /** Offset of the first payload byte (just after the header's newline). */
  payloadStart: number;
}

export function emptyRecordHeader(): RecordHeader {
  return { kind: 'request', id: '', timestamp: 0n, latency: 0n, payloadStart: 0 };
}

const SPACE = 0x20;
const LF = 0x0a;
const ZERO = 0x30;
const NINE = 0x39;
const LOWER_A = 0x61;
const LOWER_F = 0x66;
const KINDS: Record<number, MessageKind | undefined> = { 0x31: 'request', 0x32: 'response', 0x33: 'replayed-response' };
const ID_LENGTH = 24;
/** 15 decimal digits always fit a double exactly; longer numbers go through BigInt(string). */
const SAFE_DIGITS = 15;
/** int64 has 19 digits; allow 20 so an unsigned value is not called corrupt. */
const MAX_DIGITS = 20;

/**
 * Parses `TYPE ID TIMESTAMP LATENCY\n` at `start`, looking no further than `end` (the separator),
 * into `into`. Returns undefined, or why the line is not a header.
 * The latency field is optional: GoReplay before 1.0 wrote three fields (latency is then 0).
 */
export function parseRecordHeader(bytes: Buffer, start: number, end: number, into: RecordHeader): string | undefined {
  const kind = KINDS[bytes[start]!];
  if (kind === undefined || start + 1 >= end) return fail(`payload type is not 1, 2 or 3`);
  if (bytes[start + 1] !== SPACE) return fail('payload type is not followed by a space');
  const idStart = start + 2;
  const idEnd = idStart + ID_LENGTH;
  if (idEnd >= end) return fail('header line ends before the id');
  for (let i = idStart; i < idEnd; i++) {
    const c = bytes[i]!;
    if (!((c >= ZERO && c <= NINE) || (c >= LOWER_A && c <= LOWER_F))) return fail('id is not 24 lowercase hex characters');
  }
  if (bytes[idEnd] !== SPACE) return fail('id is not 24 lowercase hex characters');

  const tsStart = idEnd + 1;
  let i = tsStart;
  while (i < end && bytes[i]! >= ZERO && bytes[i]! <= NINE) i++;
  const tsEnd = i;
  if (tsEnd === tsStart || tsEnd - tsStart > MAX_DIGITS) return fail('timestamp is not a decimal number');
  let latency = 0n;
  if (bytes[i] === SPACE) {
    const latStart = ++i;
    while (i < end && bytes[i]! >= ZERO && bytes[i]! <= NINE) i++;
    if (i === latStart || i - latStart > MAX_DIGITS) return fail('latency is not a decimal number');
    // GoReplay writes 0 for most records: skip the BigInt work.
    latency = i - latStart === 1 && bytes[latStart] === ZERO ? 0n : decimal(bytes, latStart, i);
  }
  if (i >= end) return fail('header line has no newline before the separator');
  if (bytes[i] !== LF) return fail('header line has unexpected characters after the timestamp');
  into.kind = kind;
  into.id = bytes.toString('latin1', idStart, idEnd);
  into.timestamp = decimal(bytes, tsStart, tsEnd);
  into.latency = latency;
  into.payloadStart = i + 1;
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
  for (let i = start; i < end; i++) n = n * 10 + (bytes[i]! - ZERO);
  return n;
}

function fail(reason: string): string {
  return reason;
}
