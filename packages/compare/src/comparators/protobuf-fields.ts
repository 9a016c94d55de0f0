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
 * Only the top level is read when a message is decoded: a length-delimited value keeps its bytes and
 * is interpreted when a comparison needs it (`interpret`). Its interpretation follows from its bytes
 * alone, so values with the same bytes are equal without being read, as identical JSON is compared
 * byte-wise: most of a response is the same on both sides.
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';

export type ProtoValue =
  | { wire: 'varint'; value: bigint }
  | { wire: 'fixed32'; value: number }
  | { wire: 'fixed64'; value: bigint }
  | { wire: 'message'; fields: ProtoFields }
  | { wire: 'string'; value: string }
  | { wire: 'bytes'; value: Uint8Array }
  | { wire: 'group'; value: Uint8Array };

/** A length-delimited value as read: its bytes, interpreted as a message, a string or bytes when needed. */
export interface LengthDelimited {
  wire: 'length-delimited';
  bytes: Uint8Array;
  /** How deep the message holding it is nested (interpreting it as a message goes one level deeper). */
  depth: number;
  /** The interpretation, once made. */
  read: ProtoValue | undefined;
}

/** A value as a decoded message holds it. */
export type ProtoField = ProtoValue | LengthDelimited;

/** Field number → values in wire order; more than one value is a repeated field. */
export type ProtoFields = Map<number, ProtoField[]>;

/** Nested messages deeper than this are kept as bytes (protobuf's own default recursion limit). */
const MAX_DEPTH = 100;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes one message; throws when the bytes are not a protobuf message. */
export function decodeProtobuf(bytes: Uint8Array, depth = 0): ProtoFields {
  // Over a plain Uint8Array the reader's values are plain views too: a Buffer's subarray goes through
  // Node's species constructor (15% of a gRPC comparison's profile, bench/compare.js).
  const plain = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const reader = new BinaryReader(plain);
  const fields: ProtoFields = new Map();
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    const value = readValue(reader, field, wireType, depth);
    const values = fields.get(field);
    if (values) values.push(value);
    else fields.set(field, [value]);
  }
  return fields;
}

function readValue(reader: BinaryReader, field: number, wireType: WireType, depth: number): ProtoField {
  switch (wireType) {
    case WireType.Varint:
      return { wire: 'varint', value: BigInt(reader.int64()) };
    case WireType.Bit32:
      return { wire: 'fixed32', value: reader.fixed32() };
    case WireType.Bit64:
      return { wire: 'fixed64', value: BigInt(reader.fixed64()) };
    case WireType.LengthDelimited:
      return { wire: 'length-delimited', bytes: reader.bytes(), depth, read: undefined };
    case WireType.StartGroup:
      return { wire: 'group', value: reader.skip(wireType, field) };
    default:
      throw new Error(`field ${field} has wire type ${wireType}, which cannot start a value`);
  }
}

/** What a value is: a length-delimited one is interpreted (once) from its bytes. */
export function interpret(value: ProtoField): ProtoValue {
  if (value.wire !== 'length-delimited') return value;
  value.read ??= lengthDelimited(value.bytes, value.depth);
  return value.read;
}

/** Whether two values are the same bytes on the wire, hence equal however they are read (both length-delimited). */
export function isSameWireBytes(a: ProtoField, b: ProtoField): boolean {
  if (a.wire !== 'length-delimited' || b.wire !== 'length-delimited' || a.bytes.length !== b.bytes.length) return false;
  return Buffer.compare(a.bytes, b.bytes) === 0;
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
  if (ascii) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
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
