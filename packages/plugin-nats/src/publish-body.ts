/** The body a message is published with: its payload, or (over max_payload) a reference to the object store. */
import type { Message } from '@reprise/core';
import type { ServiceConnection } from './nats-service.js';
import { HEADER, HEADER_ALLOWANCE_BYTES, dedupIdOf } from './wire-format.js';

export function isOverMaxPayload(conn: ServiceConnection, message: Message): boolean {
  const maxPayload = conn.nc.info?.max_payload ?? Infinity;
  return message.payload.length + HEADER_ALLOWANCE_BYTES > maxPayload;
}

/** Uploads the payload when it is too large for one message; returns the body and the extra headers to publish. */
export async function publishableBody(
  conn: ServiceConnection,
  message: Message,
): Promise<{ body: Uint8Array; extra: Record<string, string>; isStored: boolean }> {
  if (!isOverMaxPayload(conn, message)) return { body: message.payload, extra: {}, isStored: false };
  const name = dedupIdOf(message);
  await (await conn.bodies()).putBlob({ name }, message.payload);
  return { body: new Uint8Array(0), extra: { [HEADER.object]: name }, isStored: true };
}
