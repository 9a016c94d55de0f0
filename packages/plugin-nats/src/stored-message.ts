/** A message read back from a stream: body, or the object store entry a large body was put in. */
import type { JsMsg } from '@nats-io/jetstream';
import { RepriseError, type Message } from '@reprise/core';
import type { ServiceConnection } from './nats-service.js';
import { HEADER, messageOf } from './wire-format.js';

export async function storedMessage(conn: ServiceConnection, m: JsMsg, plugin: string): Promise<Message> {
  const where = `${m.info.stream} sequence ${m.seq}`;
  const object = m.headers?.get(HEADER.object);
  let payload: Uint8Array = m.data;
  if (object) {
    const blob = await (await conn.bodies()).getBlob(object);
    if (!blob)
      throw new RepriseError('RPR_GOR_CORRUPT', `${where}: its body "${object}" is missing from ${conn.names.bodiesBucket}`, { plugin });
    payload = blob;
  }
  return messageOf(m.headers, payload, where);
}
