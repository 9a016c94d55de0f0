/**
 * A protobuf message decoded without its .proto: field number → the values seen, in order. The
 * wire type alone says how to read a value: varint (shown as int64), fixed32 and fixed64
 * (unsigned), length-delimited as a nested message when it parses fully as one, else a UTF-8
 * string when valid, else bytes — except that printable text (valid UTF-8 without control
 * characters) is always a string: `"0105"` also parses as the message {6: [49, 53]}, while a real
 * nested message almost always holds a byte below 0x20 (the tags of fields 1-3, short lengths).
 * Packed repeated scalars cannot be told from bytes without a schema; groups (proto2, deprecated)
 * are kept as bytes.
 *
 * Only the top level is read when a message is decoded: each value keeps its wire type and where its
 * bytes are, and is interpreted when a comparison needs it (`interpret`). Its interpretation follows
 * from its bytes alone, so values with the same bytes are equal without being read, as identical JSON
 * is compared byte-wise: most of a response is the same on both sides.
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { latin1Text } from '@reprise/core';

export type ProtoValue =
  | { wire: 'varint'; value: bigint }
  | { wire: 'fixed32'; value: number }
  | { wire: 'fixed64'; value: bigint }
  | { wire: 'message'; fields: ProtoFields }
  | { wire: 'string'; value: string }
  | { wire: 'bytes'; value: Uint8Array }
  | { wire: 'group'; value: Uint8Array };

/** A value as read from the wire: its type and the span of its bytes, interpreted when needed. */
export interface ProtoField {
  wire: WireType;
  /** The bytes of the message holding it; the value is `source[start, end)` (a length-delimited one without its length). */
  source: Uint8Array;
  start: number;
  end: number;
  /** How deep the message holding it is nested (interpreting it as a message goes one level deeper). */
  depth: number;
  /** The interpretation, once made. */
  read: ProtoValue | undefined;
}

/** Field number → values in wire order; more than one value is a repeated field. */
export type ProtoFields = Map<number, ProtoField[]>;

/** Nested messages deeper than this are kept as bytes (protobuf's own default recursion limit). */
const MAX_DEPTH = 100;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes one message's top level; throws when the bytes are not a protobuf message. A hand-written
 * walk: @bufbuild's reader made an array per tag, a view per length-delimited value and a BigInt per
 * number, for every value, where most are never read (with the changes beside it, gRPC comparisons run
 * 12–14% faster, bench/compare.js).
 */
export function decodeProtobuf(bytes: Uint8Array, depth = 0): ProtoFields {
  // Over a plain Uint8Array the views made later are plain too: a Buffer's subarray goes through
  // Node's species constructor.
  const source = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = source.length;
  const fields: ProtoFields = new Map();
  let pos = 0;
  while (pos < length) {
    const tag = readVarint32(source, pos, 'tag');
    pos = varintEnd;
    const field = tag >>> 3;
    const wire = (tag & 7) as WireType;
    if (field === 0) throw new Error(`field number 0 at byte ${pos}`);
    let start = pos;
    switch (wire) {
      case WireType.Varint:
        while (pos < length && source[pos]! & 0x80) pos++;
        pos++;
        if (pos - start > 10) throw new Error(`field ${field}: a varint longer than 10 bytes`);
        break;
      case WireType.Bit64:
        pos += 8;
        break;
      case WireType.Bit32:
        pos += 4;
        break;
      case WireType.LengthDelimited:
        pos = readVarint32(source, pos, 'length') + varintEnd;
        start = varintEnd;
        break;
      case WireType.StartGroup: {
        // Rare (proto2, deprecated): the library's reader finds the matching end.
        const reader = new BinaryReader(source);
        reader.pos = pos;
        reader.skip(wire, field);
        pos = reader.pos;
        break;
      }
      default:
        throw new Error(`field ${field} has wire type ${wire}, which cannot start a value`);
    }
    if (pos > length) throw new Error(`field ${field} ends past the message's ${length} bytes`);
    const value: ProtoField = { wire, source, start, end: pos, depth, read: undefined };
    const values = fields.get(field);
    if (values) values.push(value);
    else fields.set(field, [value]);
  }
  return fields;
}

/** Where the last varint read ended (a module variable: returning a pair would allocate). */
let varintEnd = 0;

/** A varint of at most 32 bits (a tag or a length) at `pos`; sets `varintEnd`. */
function readVarint32(bytes: Uint8Array, pos: number, what: string): number {
  let value = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= bytes.length) throw new Error(`a ${what} runs past the message's end`);
    const byte = bytes[pos++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) {
      if (value > 0xffffffff) break;
      varintEnd = pos;
      return value;
    }
  }
  throw new Error(`a ${what} overflows 32 bits at byte ${pos}`);
}

/** What a value is, interpreted (once) from its bytes. */
export function interpret(value: ProtoField): ProtoValue {
  value.read ??= read(value);
  return value.read;
}

function read(value: ProtoField): ProtoValue {
  const { source, start, end } = value;
  switch (value.wire) {
    case WireType.Varint:
      return { wire: 'varint', value: varint64(source, start, end) };
    case WireType.Bit32:
      return { wire: 'fixed32', value: littleEndian32(source, start) };
    case WireType.Bit64:
      return { wire: 'fixed64', value: (BigInt(littleEndian32(source, start + 4)) << 32n) | BigInt(littleEndian32(source, start)) };
    case WireType.LengthDelimited:
      return lengthDelimited(source.subarray(start, end), value.depth);
    default:
      return { wire: 'group', value: source.subarray(start, end) };
  }
}

/** A varint read as int64 (protobuf writes a negative int32 or int64 as ten bytes of two's complement). */
function varint64(bytes: Uint8Array, start: number, end: number): bigint {
  // Up to seven bytes (49 bits) add up exactly in a double.
  if (end - start <= 7) {
    let value = 0;
    for (let i = start, scale = 1; i < end; i++, scale *= 128) value += (bytes[i]! & 0x7f) * scale;
    return BigInt(value);
  }
  let value = 0n;
  for (let i = end - 1; i >= start; i--) value = (value << 7n) | BigInt(bytes[i]! & 0x7f);
  return BigInt.asIntN(64, value);
}

function littleEndian32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

/** Whether two values are the same bytes on the wire, hence equal however they are read. */
export function isSameWireBytes(a: ProtoField, b: ProtoField): boolean {
  const length = a.end - a.start;
  if (a.wire !== b.wire || b.end - b.start !== length) return false;
  // Most values are short: a loop costs less than a native call and two views.
  if (length > 64) return Buffer.compare(a.source.subarray(a.start, a.end), b.source.subarray(b.start, b.end)) === 0;
  const x = a.source;
  const y = b.source;
  for (let i = a.start, j = b.start; i < a.end; i++, j++) if (x[i] !== y[j]) return false;
  return true;
}

function lengthDelimited(bytes: Uint8Array, depth: number): ProtoValue {
  const text = printableText(bytes); // '' too: an empty value is far more often an empty string than an empty message
  if (text !== undefined) return { wire: 'string', value: text };
  if (depth < MAX_DEPTH) {
    try {
      return { wire: 'message', fields: decodeProtobuf(bytes, depth + 1) };
    } catch {
      // not a message: a string or bytes
    }
  }
  try {
    return { wire: 'string', value: utf8.decode(bytes) };
  } catch {
    return { wire: 'bytes', value: bytes };
  }
}

/** The bytes as text when they are valid UTF-8 without control characters (tab, LF and CR aside). */
function printableText(bytes: Uint8Array): string | undefined {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) return undefined;
    if (b > 0x7f) ascii = false;
  }
  // ASCII needs no validation, and latin1 is Buffer's fastest decoding.
  if (ascii) return latin1Text(bytes, 0, bytes.length);
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A JSON-able view of a value, for report examples: `{"1": …, "3": [ … ]}`, 64-bit numbers as strings. */
export function protoValueJson(field: ProtoField): unknown {
  const value = interpret(field);
  switch (value.wire) {
    case 'varint':
    case 'fixed64':
      return Number.isSafeInteger(Number(value.value)) ? Number(value.value) : value.value.toString();
    case 'fixed32':
    case 'string':
      return value.value;
    case 'message':
      return protoFieldsJson(value.fields);
    case 'bytes':
    case 'group':
      return `0x${Buffer.from(value.value.buffer, value.value.byteOffset, value.value.byteLength).toString('hex')}`;
  }
}

export function protoFieldsJson(fields: ProtoFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, values] of fields) out[field] = values.length === 1 ? protoValueJson(values[0]!) : values.map(protoValueJson);
  return out;
}
