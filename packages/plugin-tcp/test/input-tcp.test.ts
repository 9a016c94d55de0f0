import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { connect as connectTls } from 'node:tls';
import { encodeRecords, GOR_SEPARATOR, type RepriseError, type InputInstance, type Message } from '@reprise/core';
import { inputTcp } from '../src/input-tcp.js';
import { collectingServer, create, listeningPort, message, selfSignedCertificate } from './helpers.js';

const T = { timeout: 20_000 };

async function openClient(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

/** Reads batches until `count` messages came out. */
async function readMessages(input: InputInstance, count: number): Promise<Message[]> {
  const out: Message[] = [];
  const iterator = input.read()[Symbol.asyncIterator]();
  while (out.length < count) {
    const next = await iterator.next();
    if (next.done) break;
    out.push(...next.value);
  }
  return out;
}

test('many clients at once, sending records in interleaved pieces, all arrive whole with their ids, times and latencies', T, async (t) => {
  const { instance, ctx } = await create<InputInstance>(t, inputTcp, '127.0.0.1:0');
  assert.equal(instance.isLive, true);
  const port = listeningPort(ctx);
  const clients = await Promise.all([0, 1, 2].map(() => openClient(port)));
  t.after(() => {
    for (const c of clients) c.destroy();
  });
  const sent = clients.map((_, c) =>
    Array.from({ length: 20 }, (_, i) => ({
      ...message(i, { session: `${c}`.repeat(16), kind: i % 3 ? 'request' : 'response' }),
      latency: BigInt(i),
    })),
  );
  const streams = sent.map((messages) => encodeRecords(messages));
  // 7-byte slices, round-robin across the clients.
  for (let offset = 0; offset < Math.max(...streams.map((s) => s.length)); offset += 7) {
    clients.forEach((client, c) => {
      const piece = streams[c]!.subarray(offset, offset + 7);
      if (piece.length) client.write(piece);
    });
  }
  const received = await readMessages(instance, 60);
  const key = (m: Message) => `${m.kind} ${m.id} ${m.timestamp} ${m.latency} ${Buffer.from(m.payload).toString()}`;
  assert.deepEqual(received.map(key).sort(), sent.flat().map(key).sort());
  for (let c = 0; c < 3; c++) {
    const fromClient = received.filter((m) => m.id.startsWith(`${c}`.repeat(16)));
    assert.deepEqual(
      fromClient.map((m) => m.id),
      sent[c]!.map((m) => m.id),
      'one connection keeps its order',
    );
  }
  assert.equal(ctx.counters.get('connections'), 3);
  assert.equal(ctx.counters.get('failed'), undefined);
});

test(
  'a corrupt record from one client is counted and logged with the peer and offset; its neighbours and other clients are delivered',
  T,
  async (t) => {
    const { instance, ctx } = await create<InputInstance>(t, inputTcp, '127.0.0.1:0');
    const port = listeningPort(ctx);
    const [bad, good] = await Promise.all([openClient(port), openClient(port)]);
    t.after(() => {
      bad.destroy();
      good.destroy();
    });
    const first = encodeRecords([message(1)]);
    bad.write(Buffer.concat([first, Buffer.from('1 short-id 12\nGET / HTTP/1.1\r\n\r\n'), GOR_SEPARATOR, encodeRecords([message(2)])]));
    good.write(encodeRecords([message(3, { session: 'f'.repeat(16) })]));
    const received = await readMessages(instance, 3);
    assert.deepEqual(received.map((m) => m.id).sort(), [message(1).id, message(2).id, message(3, { session: 'f'.repeat(16) }).id].sort());
    assert.equal(ctx.counters.get('corrupt'), 1);
    assert.equal(ctx.counters.get('failed'), 1);
    const warning = ctx.logs.find((l) => l.level === 'warn')!.message;
    assert.match(warning, new RegExp(`^127\\.0\\.0\\.1:${bad.localPort} at byte ${first.length}: skipped a corrupt record .*id is not 24`));
  },
);

test('a record cut short by the sender closing is reported as truncated', T, async (t) => {
  const { instance, ctx } = await create<InputInstance>(t, inputTcp, '127.0.0.1:0');
  const client = await openClient(listeningPort(ctx));
  const bytes = encodeRecords([message(1), message(2)]);
  client.end(bytes.subarray(0, bytes.length - 5));
  const received = await readMessages(instance, 1);
  assert.deepEqual(
    received.map((m) => m.id),
    [message(1).id],
  );
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(ctx.counters.get('corrupt'), 1);
  assert.match(ctx.logs.find((l) => l.level === 'warn')!.message, /truncated/);
});

test('a sender that exceeds the record limit without a separator is disconnected and counted', T, async (t) => {
  const { ctx } = await create<InputInstance>(t, inputTcp, '127.0.0.1:0', { maxRecordSize: '1kb' });
  const client = await openClient(listeningPort(ctx));
  const closed = new Promise((resolve) => client.on('close', resolve));
  client.on('error', () => {});
  client.write(Buffer.alloc(4096, 0x41));
  await closed;
  assert.equal(ctx.counters.get('oversized'), 1);
  assert.match(ctx.logs.find((l) => l.level === 'warn')!.message, /max-record-size/);
});

test('reading ends when the pipeline stops', T, async (t) => {
  const { instance, ctx } = await create<InputInstance>(t, inputTcp, '127.0.0.1:0');
  const client = await openClient(listeningPort(ctx));
  client.on('error', () => {});
  client.write(encodeRecords([message(1)]));
  const all: Message[] = [];
  const reading = (async () => {
    for await (const batch of instance.read()) all.push(...batch);
  })();
  await new Promise((r) => setTimeout(r, 100));
  ctx.controller.abort();
  await reading;
  assert.deepEqual(
    all.map((m) => m.id),
    [message(1).id],
  );
});

test('TLS: records from a TLS client arrive; a plain-text client is refused and counted', T, async (t) => {
  const { cert, key } = selfSignedCertificate(t);
  const { instance, ctx } = await create<InputInstance>(t, inputTcp, '127.0.0.1:0', {
    secure: true,
    certificate: cert,
    certificateKey: key,
  });
  const port = listeningPort(ctx);
  assert.match(ctx.logs[0]!.message, /\(TLS\)$/);
  const secure = connectTls({ host: '127.0.0.1', port, ca: readFileSync(cert) });
  t.after(() => secure.destroy());
  await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
  secure.write(encodeRecords([message(1), message(2)]));
  assert.deepEqual(
    (await readMessages(instance, 2)).map((m) => m.id),
    [message(1).id, message(2).id],
  );

  const plain = await openClient(port);
  plain.on('error', () => {});
  plain.write(encodeRecords([message(3)]));
  await new Promise((resolve) => plain.on('close', resolve));
  assert.equal(ctx.counters.get('tls-failed'), 1);
});

test('bad settings are refused at start, naming the option', T, async (t) => {
  const { cert, key } = selfSignedCertificate(t);
  const attempt = (value: string, options: Record<string, unknown>) => create(t, inputTcp, value, options);
  await assert.rejects(
    attempt(':0', { certificate: cert, certificateKey: key }),
    (e: RepriseError) => e.code === 'RPR_CONFIG_INVALID' && e.option === 'secure',
  );
  await assert.rejects(
    attempt(':0', { secure: true, certificateKey: key }),
    (e: RepriseError) => e.option === 'certificate' && /--input-tcp-certificate/.test(e.message),
  );
  await assert.rejects(
    attempt(':0', { secure: true, certificate: '/nonexistent/cert.pem', certificateKey: key }),
    (e: RepriseError) => e.code === 'RPR_INPUT_NOT_FOUND' && e.option === 'certificate',
  );
  await assert.rejects(attempt('8080', {}), (e: RepriseError) => e.code === 'RPR_CONFIG_INVALID' && e.plugin === 'input-tcp');
  const taken = await collectingServer(t);
  await assert.rejects(
    attempt(`127.0.0.1:${taken.port}`, {}),
    (e: RepriseError) => e.code === 'RPR_INPUT_LISTEN' && /input-tcp.*cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/.test(e.message),
  );
});
