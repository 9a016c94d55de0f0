/**
 * A message as a NATS message, losslessly: the raw HTTP bytes are the body and GoReplay's record
 * header (type, id, timestamp, latency) travels in headers, so a stream turns back into the same
 * .gor records byte for byte. A payload too big for the server's max_payload is stored in the object
 * store and the body left empty, with `Reprise-Object` naming it.
 */
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { kindOfPayloadType, payloadTypeOf, RepriseError, type Message } from '@reprise/core';

export const HEADER = {
  type: 'Reprise-Type',
  id: 'Reprise-Id',
  timestamp: 'Reprise-Timestamp',
  latency: 'Reprise-Latency',
  object: 'Reprise-Object',
  worker: 'Reprise-Worker',
  msgId: 'Nats-Msg-Id',
} as const;

/** The dedup id: a request and its responses share an id, so the type is part of it. */
export function dedupIdOf(message: Message): string {
  return `${message.id}-${payloadTypeOf(message.kind)}`;
}

export function metaHeaders(message: Message, extra: Record<string, string> = {}): MsgHdrs {
  const h = natsHeaders();
  h.set(HEADER.type, payloadTypeOf(message.kind));
  h.set(HEADER.id, message.id);
  h.set(HEADER.timestamp, String(message.timestamp));
  h.set(HEADER.latency, String(message.latency ?? 0n));
  h.set(HEADER.msgId, dedupIdOf(message));
  for (const [name, value] of Object.entries(extra)) h.set(name, value);
  return h;
}

/** The message a NATS message carries; `payload` is the body or, for `Reprise-Object`, what the store returned. */
export function messageOf(h: MsgHdrs | undefined, payload: Uint8Array, where: string): Message {
  const type = h?.get(HEADER.type) ?? '';
  const kind = kindOfPayloadType(type);
  const id = h?.get(HEADER.id) ?? '';
  const timestamp = h?.get(HEADER.timestamp) ?? '';
  const latency = h?.get(HEADER.latency) || '0';
  if (!kind || !/^[0-9a-f]{24}$/.test(id) || !/^\d+$/.test(timestamp) || !/^\d+$/.test(latency)) {
    throw new RepriseError(
      'RPR_GOR_CORRUPT',
      `${where}: not a reprise message (headers ${HEADER.type}=${type || '?'} ${HEADER.id}=${id || '?'} ${HEADER.timestamp}=${timestamp || '?'})`,
    );
  }
  return { kind, id, timestamp: BigInt(timestamp), latency: BigInt(latency), payload };
}

/** Room left for headers and protocol under max_payload: a body larger than this goes to the object store. */
export const HEADER_ALLOWANCE_BYTES = 1024;
