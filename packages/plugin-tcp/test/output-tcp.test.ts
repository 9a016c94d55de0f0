import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { createServer as createTlsServer } from 'node:tls';
import { GorDecoder, type Message, type OutputInstance, type RepriseError } from '@reprise/core';
import { outputTcp } from '../src/output-tcp.js';
import { collectingServer, create, freePort, message, selfSignedCertificate, waitFor } from './helpers.js';

const T = { timeout: 30_000 };

function decode(bytes: Buffer): Message[] {
  return new GorDecoder().push(bytes).flatMap((d) => (d.type === 'record' ? [d.message] : []));
}

test('messages are dealt round-robin over the workers as GoReplay records; replayed responses are not relayed', T, async (t) => {
  const server = await collectingServer(t);
  const { instance, ctx } = await create<OutputInstance>(t, outputTcp, `127.0.0.1:${server.port}`, { workers: 3 });
  const sent = Array.from({ length: 30 }, (_, i) => message(i, { kind: i % 2 ? 'response' : 'request' }));
  await instance.write([...sent, message(99, { kind: 'replayed-response' })]);
  await instance.flush!();
  await waitFor(() => server.received().reduce((n, b) => n + decode(b).length, 0) === 30, 5000, 'every record');
  assert.equal(server.connections.length, 3);
  const perConnection = server.received().map(decode);
  for (const records of perConnection) assert.equal(records.length, 10);
  const key = (m: Message) => `${m.kind} ${m.id} ${m.timestamp} ${m.latency} ${Buffer.from(m.payload).toString()}`;
  assert.deepEqual(perConnection.flat().map(key).sort(), sent.map(key).sort());
  assert.equal(ctx.counters.get('skipped'), 1);
  assert.equal(ctx.counters.get('failed'), undefined);
});

test('sticky: every message of a session goes over one connection, in order', T, async (t) => {
  const server = await collectingServer(t);
  const { instance } = await create<OutputInstance>(t, outputTcp, `127.0.0.1:${server.port}`, { workers: 4, sticky: true });
  const sessions = Array.from({ length: 12 }, (_, s) => (0xa000 + s).toString(16).padStart(16, '0'));
  const sent: Message[] = [];
  for (let n = 0; n < 10; n++) for (const session of sessions) sent.push(message(n, { session, kind: n % 2 ? 'response' : 'request' }));
  await instance.write(sent);
  await instance.flush!();
  await waitFor(() => server.received().reduce((n, b) => n + decode(b).length, 0) === sent.length, 5000, 'every record');
  const connectionsUsed = new Set<number>();
  for (const session of sessions) {
    const holders = server
      .received()
      .map(decode)
      .flatMap((records, c) => (records.some((m) => m.id.startsWith(session)) ? [c] : []));
    assert.equal(holders.length, 1, `session ${session} on ${holders.length} connections`);
    connectionsUsed.add(holders[0]!);
    const ids = decode(server.received()[holders[0]!]!)
      .filter((m) => m.id.startsWith(session))
      .map((m) => m.id);
    assert.deepEqual(
      ids,
      sent.filter((m) => m.id.startsWith(session)).map((m) => m.id),
    );
  }
  assert.ok(connectionsUsed.size > 1, 'sessions are spread over the connections');
});

test('a dead aggregator: writing waits once the buffer is full, nothing is lost, and sending resumes when it comes back', T, async (t) => {
  const port = await freePort();
  const { instance, ctx } = await create<OutputInstance>(t, outputTcp, `127.0.0.1:${port}`, { workers: 1, bufferSize: '1kb' });
  const sent = Array.from({ length: 40 }, (_, i) => message(i));
  let isWritten = false;
  const writing = Promise.resolve(instance.write(sent)).then(() => (isWritten = true));
  await waitFor(() => (ctx.counters.get('connect-failed') ?? 0) >= 3, 5000, 'connection attempts');
  assert.equal(isWritten, false, 'a full buffer holds the writer back instead of growing');
  assert.match(ctx.logs.find((l) => l.level === 'warn')!.message, /cannot connect \(.*ECONNREFUSED.*\), retrying with backoff/);
  const server = await collectingServer(t, port);
  await writing;
  await instance.flush!();
  await waitFor(() => decode(Buffer.concat(server.received())).length === 40, 5000, 'every record');
  assert.deepEqual(
    decode(Buffer.concat(server.received())).map((m) => m.id),
    sent.map((m) => m.id),
  );
  assert.equal(ctx.counters.get('reconnects'), 1);
  assert.equal(ctx.counters.get('failed'), undefined);
});

test('an aggregator that restarts: the connection is made again and later messages arrive', T, async (t) => {
  const first = await collectingServer(t);
  const { instance, ctx } = await create<OutputInstance>(t, outputTcp, `127.0.0.1:${first.port}`, { workers: 1 });
  await instance.write([message(1)]);
  await waitFor(() => decode(Buffer.concat(first.received())).length === 1, 5000, 'the first record');
  await first.close();
  await waitFor(() => ctx.logs.some((l) => /connection lost/.test(l.message)), 5000, 'the loss to be seen');
  const second = await collectingServer(t, first.port);
  await instance.write([message(2), message(3)]);
  await instance.flush!();
  await waitFor(() => decode(Buffer.concat(second.received())).length === 2, 10_000, 'the later records');
  assert.equal(ctx.counters.get('reconnects'), 1);
});

test('flush gives up on an unreachable aggregator after one more attempt, counting what was not sent', T, async (t) => {
  const port = await freePort();
  const { instance, ctx } = await create<OutputInstance>(t, outputTcp, `127.0.0.1:${port}`, { workers: 2 });
  await instance.write([message(1), message(2), message(3)]);
  await instance.flush!();
  assert.equal(ctx.counters.get('unsent'), 3);
  assert.equal(ctx.counters.get('failed'), 3);
});

test('TLS: a self-signed aggregator is refused unless skip-verify, and then receives the records', T, async (t) => {
  const { cert, key } = selfSignedCertificate(t);
  const received: Buffer[] = [];
  const server = createTlsServer({ cert: readFileSync(cert), key: readFileSync(key) }, (socket) =>
    socket.on('data', (c) => received.push(c)),
  );
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;

  const strict = await create<OutputInstance>(t, outputTcp, address, { workers: 1, secure: true });
  await strict.instance.write([message(1)]);
  await strict.instance.flush!();
  assert.equal(strict.ctx.counters.get('unsent'), 1);
  assert.match(strict.ctx.logs.find((l) => l.level === 'warn')!.message, /self[- ]signed/);

  const lenient = await create<OutputInstance>(t, outputTcp, address, { workers: 1, secure: true, skipVerify: true });
  await lenient.instance.write([message(2)]);
  await lenient.instance.flush!();
  await waitFor(() => decode(Buffer.concat(received)).length === 1, 5000, 'the record');
  assert.equal(decode(Buffer.concat(received))[0]!.id, message(2).id);
  await lenient.instance.close!();
  await strict.instance.close!();
});

test('bad settings are refused at start, naming the option', T, async (t) => {
  await assert.rejects(create(t, outputTcp, ':28020'), (e: RepriseError) => e.code === 'RPR_CONFIG_INVALID' && /no host/.test(e.message));
  await assert.rejects(create(t, outputTcp, '127.0.0.1:28020', { skipVerify: true }), (e: RepriseError) => e.option === 'skipVerify');
});
