/**
 * Messages as Kafka records, in GoReplay's two formats. Pure: bytes in, bytes out.
 *
 * - raw: the message's .gor header line and its payload (a .gor record without the separator).
 * - JSON (`--output-kafka-json-format`): GoReplay's `KafkaMessage`: `Req_URL`, `Req_Type`, `Req_ID`,
 *   `Req_Ts`, `Req_Method`, `Req_Body` and `Req_Headers` (canonical names, repeated values joined by
 *   ", "), encoded as Go's encoding/json does (fields in that order, map keys sorted, `<>&` escaped).
 *
 * The record key is the message's connection: the first 16 hex digits of its id (client port, server
 * port, client IPv4 in GoReplay's layout), so one connection's messages share a partition, in order.
 */
import { emptyRecordHeader, formatRecordHeader, parseHttpHead, parseRecordHeader, type Message, type MessageKind } from '@reprise/core';

export interface KafkaRecordParts {
  key: Buffer;
  value: Buffer;
}

export type DecodedKafkaValue = { message: Message; error?: undefined } | { message?: undefined; error: string };

/** GoReplay's JSON message; optional fields are left out when empty (Go's `omitempty`). */
export interface GoReplayKafkaJson {
  Req_URL: string;
  Req_Type: string;
  Req_ID: string;
  Req_Ts: string;
  Req_Method: string;
  Req_Body?: string;
  Req_Headers?: Record<string, string>;
}

const CONNECTION_KEY_LENGTH = 16;
const TYPE_KIND: Record<string, MessageKind> = { '1': 'request', '2': 'response', '3': 'replayed-response' };

export function connectionKey(id: string): Buffer {
  return Buffer.from(id.slice(0, CONNECTION_KEY_LENGTH), 'latin1');
}

export function toKafkaRecord(message: Message, isJson: boolean): KafkaRecordParts {
  const key = connectionKey(message.id);
  if (isJson) return { key, value: Buffer.from(goJsonStringify(toGoReplayJson(message)), 'utf8') };
  const header = formatRecordHeader(message);
  const value = Buffer.allocUnsafe(header.length + message.payload.length);
  const at = value.write(header, 'latin1');
  value.set(message.payload, at);
  return { key, value };
}

export function toGoReplayJson(message: Message): GoReplayKafkaJson {
  const payload = Buffer.from(message.payload.buffer, message.payload.byteOffset, message.payload.length);
  const head = parseHttpHead(payload);
  const [method = '', url = ''] = head?.startLine ?? firstLineTokens(payload);
  const json: GoReplayKafkaJson = {
    Req_URL: url,
    Req_Type: formatRecordHeader(message)[0]!,
    Req_ID: message.id,
    Req_Ts: String(message.timestamp),
    Req_Method: method,
  };
  const body = head ? payload.subarray(head.bodyOffset) : Buffer.alloc(0);
  if (body.length > 0) json.Req_Body = body.toString('utf8');
  if (head && head.headers.length > 0) {
    const joined = new Map<string, string[]>();
    for (const [name, value] of head.headers) {
      const key = canonicalHeaderKey(name);
      joined.set(key, [...(joined.get(key) ?? []), value]);
    }
    json.Req_Headers = Object.fromEntries([...joined.keys()].sort().map((k) => [k, joined.get(k)!.join(', ')]));
  }
  return json;
}

/** A Kafka record's value as a message: a raw GoReplay message, or GoReplay's JSON rebuilt into a request. */
export function fromKafkaValue(value: Uint8Array, isJson: boolean): DecodedKafkaValue {
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.length);
  if (isJson) return fromGoReplayJson(bytes);
  const header = emptyRecordHeader();
  const problem = parseRecordHeader(bytes, 0, bytes.length, header);
  if (problem !== undefined) return { error: `not a GoReplay message: ${problem}` };
  return {
    message: {
      kind: header.kind,
      id: header.id,
      timestamp: header.timestamp,
      latency: header.latency,
      payload: bytes.subarray(header.payloadStart),
    },
  };
}

function fromGoReplayJson(bytes: Buffer): DecodedKafkaValue {
  let json: Partial<GoReplayKafkaJson>;
  try {
    json = JSON.parse(bytes.toString('utf8')) as Partial<GoReplayKafkaJson>;
  } catch (error) {
    return { error: `not JSON: ${(error as Error).message}` };
  }
  const kind = TYPE_KIND[json.Req_Type ?? ''];
  if (!kind) return { error: `Req_Type is not 1, 2 or 3: ${JSON.stringify(json.Req_Type)}` };
  if (typeof json.Req_ID !== 'string' || !/^[0-9a-f]{24}$/.test(json.Req_ID))
    return { error: `Req_ID is not 24 lowercase hex characters: ${JSON.stringify(json.Req_ID)}` };
  if (typeof json.Req_Ts !== 'string' || !/^\d{1,20}$/.test(json.Req_Ts))
    return { error: `Req_Ts is not a decimal timestamp: ${JSON.stringify(json.Req_Ts)}` };
  // As GoReplay rebuilds it: the start line, the headers (here in sorted order), a blank line, the body.
  let head = `${json.Req_Method ?? ''} ${json.Req_URL ?? ''} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(json.Req_Headers ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    head += `${name}: ${value}\r\n`;
  const payload = Buffer.concat([Buffer.from(`${head}\r\n`, 'utf8'), Buffer.from(json.Req_Body ?? '', 'utf8')]);
  return { message: { kind, id: json.Req_ID, timestamp: BigInt(json.Req_Ts), latency: 0n, payload } };
}

/** Go's textproto.CanonicalMIMEHeaderKey: `content-type` → `Content-Type`; a name with other characters is kept. */
export function canonicalHeaderKey(name: string): string {
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) return name;
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

/** JSON.stringify with Go's encoding/json escaping of `<`, `>`, `&`, U+2028 and U+2029. */
export function goJsonStringify(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function firstLineTokens(payload: Buffer): string[] {
  const end = payload.indexOf(10);
  return payload
    .toString('latin1', 0, end < 0 ? payload.length : end)
    .trim()
    .split(' ');
}
