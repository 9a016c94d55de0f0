import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, headers } from '@nats-io/transport-node';
import { startNatsServer } from '../../../test/support/nats-server.js';
import { JetStreamPublisher, publishAckOf } from '../src/jetstream-publisher.js';

function withMsgId(id: string) {
  const h = headers();
  h.set('Nats-Msg-Id', id);
  return h;
}

test('thousands of publishes in flight are all acked, a re-publication is a duplicate, and the stream stores each once', {
  timeout: 60_000,
}, async (t) => {
  const nats = await startNatsServer(t);
  const nc = await connect({ servers: nats.url });
  t.after(() => nc.close());
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'S', subjects: ['s.>'], duplicate_window: 60e9 });
  const publisher = new JetStreamPublisher(nc, 5000);
  t.after(() => publisher.close());
  const body = new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n');
  const first = await Promise.all(Array.from({ length: 5000 }, (_, i) => publisher.publish(`s.${i % 7}`, body, withMsgId(`m${i}`))));
  assert.ok(first.every((ack) => !ack.duplicate));
  const again = await Promise.all(Array.from({ length: 100 }, (_, i) => publisher.publish(`s.${i % 7}`, body, withMsgId(`m${i}`))));
  assert.ok(again.every((ack) => ack.duplicate));
  assert.equal((await jsm.streams.info('S')).state.messages, 5000);
  assert.equal(publisher.awaitingAcks, 0);
});

test('a subject no stream takes fails at once; one that nobody acks fails after the ack timeout', { timeout: 60_000 }, async (t) => {
  const nats = await startNatsServer(t);
  const nc = await connect({ servers: nats.url });
  t.after(() => nc.close());
  const publisher = new JetStreamPublisher(nc, 300);
  t.after(() => publisher.close());
  await assert.rejects(publisher.publish('nowhere', new Uint8Array(1), withMsgId('a')), /NATS status 503/);
  const silent = nc.subscribe('silent'); // receives the message, never answers
  t.after(() => silent.unsubscribe());
  const startedMs = Date.now();
  await assert.rejects(publisher.publish('silent', new Uint8Array(1), withMsgId('b')), /no ack within 300 ms/);
  assert.ok(Date.now() - startedMs >= 290);
  assert.equal(publisher.awaitingAcks, 0);
});

test('closing fails what still waits for its ack', { timeout: 60_000 }, async (t) => {
  const nats = await startNatsServer(t);
  const nc = await connect({ servers: nats.url });
  t.after(() => nc.close());
  const silent = nc.subscribe('silent');
  t.after(() => silent.unsubscribe());
  const publisher = new JetStreamPublisher(nc, 60_000);
  const waiting = publisher.publish('silent', new Uint8Array(1), withMsgId('c'));
  publisher.close();
  await assert.rejects(waiting, /closed before the ack/);
});

test('an ack is told from a refusal', () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  assert.deepEqual(publishAckOf(undefined, bytes('{"stream":"S","seq":3}')), { duplicate: false });
  assert.deepEqual(publishAckOf(undefined, bytes('{"stream":"S","seq":3,"duplicate":true}')), { duplicate: true });
  assert.equal(
    publishAckOf(undefined, bytes('{"error":{"code":400,"err_code":10060,"description":"expected stream does not match"}}')),
    'JetStream refused the message: expected stream does not match (400)',
  );
  assert.equal(publishAckOf(undefined, bytes('not json')), 'not a JetStream ack');
  assert.equal(publishAckOf(headers(503, 'No Responders'), new Uint8Array()), 'NATS status 503 No Responders');
});
