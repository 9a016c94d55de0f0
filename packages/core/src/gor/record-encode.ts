import { payloadTypeOf, type Message } from '../message.js';
import { GOR_SEPARATOR, GOR_SEPARATOR_LENGTH } from './separator.js';

/** The header line of a record: `TYPE ID TIMESTAMP LATENCY\n`, or with ` PROTOCOL` before the newline (ASCII). */
export function formatRecordHeader(message: Message): string {
  // latency is required by the contract; `?? 0n` keeps a sloppy producer from writing "undefined".
  const fields = `${payloadTypeOf(message.kind)} ${message.id} ${message.timestamp} ${message.latency ?? 0n}`;
  return message.protocol === undefined ? `${fields}\n` : `${fields} ${message.protocol}\n`;
}

/** Bytes a message takes as a record: header line, payload, separator. */
export function recordByteLength(message: Message): number {
  return headerLength(message, String(message.timestamp), String(message.latency ?? 0n)) + message.payload.length + GOR_SEPARATOR_LENGTH;
}

/** One message as a GoReplay record. */
export function encodeRecord(message: Message): Uint8Array {
  return encodeRecords([message]);
}

/**
 * Messages `start..end` of a batch as consecutive records in one buffer: one allocation per batch,
 * so a writer makes one write per batch rather than one per message.
 */
export function encodeRecords(messages: readonly Message[], start = 0, end = messages.length): Buffer {
  let total = 0;
  for (let i = start; i < end; i++) total += recordByteLength(messages[i]!);
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = start; i < end; i++) pos = writeRecordInto(out, pos, messages[i]!);
  return out;
}

/**
 * Writes one message as a record into `target` at `offset` and returns the offset after it, or -1
 * (writing nothing) when it does not fit: lets a writer fill reusable buffers instead of allocating.
 */
export function writeRecordInto(target: Buffer, offset: number, message: Message): number {
  // The header written piece by piece: as one string (a rope of six pieces, flattened again to be written) it
  // was most of what a capture allocated per message. The same bytes as formatRecordHeader, the string form.
  const id = message.id;
  const timestamp = String(message.timestamp);
  const latency = String(message.latency ?? 0n);
  const protocol = message.protocol;
  const end = offset + headerLength(message, timestamp, latency) + message.payload.length + GOR_SEPARATOR_LENGTH;
  if (end > target.length) return -1;
  let pos = offset;
  target[pos++] = payloadTypeOf(message.kind).charCodeAt(0);
  target[pos++] = SPACE;
  pos = writeLatin1(target, pos, id);
  target[pos++] = SPACE;
  pos = writeLatin1(target, pos, timestamp);
  target[pos++] = SPACE;
  pos = writeLatin1(target, pos, latency);
  if (protocol !== undefined) {
    target[pos++] = SPACE;
    pos = writeLatin1(target, pos, protocol);
  }
  target[pos++] = NEWLINE;
  target.set(message.payload, pos);
  pos += message.payload.length;
  target.set(GOR_SEPARATOR, pos);
  return end;
}

/** The header line's bytes: type, id, timestamp, latency (and protocol), a space between each, a newline. */
function headerLength(message: Message, timestamp: string, latency: string): number {
  const protocol = message.protocol;
  return message.id.length + timestamp.length + latency.length + (protocol === undefined ? 0 : protocol.length + 1) + 5;
}

const SPACE = 0x20;
const NEWLINE = 0x0a;

/** One byte per char, its low byte, as Buffer#write(…, 'latin1') does; returns the offset after it. */
function writeLatin1(target: Uint8Array, pos: number, text: string): number {
  for (let i = 0; i < text.length; i++) target[pos++] = text.charCodeAt(i);
  return pos;
}
