// End to end through the built CLI against a protocol-level fake Kafka broker (test/support/fake-kafka.ts):
// no real broker can be installed here, so this checks reprise and the client library against the
// protocol as documented, not against Kafka itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Message } from '@reprise/core';
import { runCli, tempDir } from './support/cli.js';
import { readRecords, summaryCounters, writeGor } from './support/gor.js';
import { startFakeKafka, storedRecords } from './support/fake-kafka.js';
import { selfSignedCertificate } from './support/tls-cert.js';

/** Requests and responses of three connections, interleaved; client ports below and above the server's. */
function recording(): Message[] {
  const connections = ['00501f90017f0001', 'c3501f90017f0001', '1f911f90017f0001'];
  const out: Message[] = [];
  for (let i = 0; i < 12; i++) {
    const id = `${connections[i % 3]}${i.toString(16).padStart(8, '0')}`;
    const t = 1_795_574_173_000_000_000n + BigInt(i) * 1_000_000n;
    out.push({
      kind: 'request',
      id,
      timestamp: t,
      latency: 0n,
      payload: Buffer.from(`GET /k/${i}?a=1&b=2 HTTP/1.1\r\nHost: recorded\r\nX-Seq: ${i}\r\n\r\n`),
    });
    out.push({
      kind: 'response',
      id,
      timestamp: t + 500n,
      latency: 0n,
      payload: Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n${i % 10}!`),
    });
  }
  return out;
}

const recordText = (m: { type: string; id: string; timestamp: bigint; payload: string }) => `${m.type} ${m.id} ${m.timestamp} ${m.payload}`;

test('a recording goes to Kafka keyed by connection and comes back from Kafka into a .gor file unchanged', {
  timeout: 60_000,
}, async (t) => {
  const kafka = await startFakeKafka(t, { partitions: 3 });
  const dir = tempDir(t);
  const messages = recording();
  writeGor(join(dir, 'in.gor'), messages);

  const produce = await runCli([
    '--input-file',
    join(dir, 'in.gor'),
    '--input-file-no-wait',
    '--output-kafka-host',
    kafka.address,
    '--output-kafka-topic',
    'gor',
  ]);
  assert.equal(produce.code, 0, produce.stderr);
  const stored = storedRecords(kafka, 'gor');
  assert.equal(stored.length, messages.length);
  for (const record of stored)
    assert.equal(record.key!.toString(), record.value!.toString('latin1').split(' ')[1]!.slice(0, 16), 'keyed by connection');
  const partitionsOf = new Map<string, Set<number>>();
  for (const r of stored) partitionsOf.set(r.key!.toString(), (partitionsOf.get(r.key!.toString()) ?? new Set()).add(r.partition));
  assert.ok(
    [...partitionsOf.values()].every((p) => p.size === 1),
    'a connection stays on one partition',
  );

  const consume = await runCli([
    '--input-kafka-host',
    kafka.address,
    '--input-kafka-topic',
    'gor',
    '--input-kafka-offset',
    'oldest',
    '--output-file',
    join(dir, 'out.gor'),
    '--exit-after',
    '4s',
  ]);
  assert.equal(consume.code, 0, consume.stderr);
  const got = readRecords(join(dir, 'out.gor')).map(recordText).sort();
  const expected = readRecords(join(dir, 'in.gor')).map(recordText).sort();
  assert.deepEqual(got, expected);
});

test("--output-kafka-json-format writes GoReplay's JSON; --input-kafka-json-format rebuilds the requests and counts a bad record", {
  timeout: 60_000,
}, async (t) => {
  const kafka = await startFakeKafka(t, { partitions: 1 });
  const dir = tempDir(t);
  const messages = recording()
    .filter((m) => m.kind === 'request')
    .slice(0, 3);
  writeGor(join(dir, 'in.gor'), messages);

  const produce = await runCli([
    '--input-file',
    join(dir, 'in.gor'),
    '--input-file-no-wait',
    '--output-kafka-host',
    kafka.address,
    '--output-kafka-topic',
    'json',
    '--output-kafka-json-format',
  ]);
  assert.equal(produce.code, 0, produce.stderr);
  const values = storedRecords(kafka, 'json').map((r) => r.value!.toString('utf8'));
  assert.equal(
    values[0],
    `{"Req_URL":"/k/0?a=1\\u0026b=2","Req_Type":"1","Req_ID":"${messages[0]!.id}","Req_Ts":"${messages[0]!.timestamp}","Req_Method":"GET","Req_Headers":{"Host":"recorded","X-Seq":"0"}}`,
  );

  // A record another producer wrote badly sits between good ones: it is counted, the others replayed.
  const bad = await runCli(['--input-dummy', '1', '--output-kafka-host', kafka.address, '--output-kafka-topic', 'json']);
  assert.equal(bad.code, 0, bad.stderr);
  const consume = await runCli([
    '--input-kafka-host',
    kafka.address,
    '--input-kafka-topic',
    'json',
    '--input-kafka-json-format',
    '--input-kafka-offset',
    'oldest',
    '--output-file',
    join(dir, 'out.gor'),
    '--exit-after',
    '4s',
  ]);
  assert.equal(consume.code, 0, consume.stderr);
  assert.deepEqual(
    readRecords(join(dir, 'out.gor')).map((r) => r.payload),
    messages.map((_, i) => `GET /k/${i}?a=1&b=2 HTTP/1.1\r\nHost: recorded\r\nX-Seq: ${i}\r\n\r\n`),
  );
  assert.equal(summaryCounters(consume.stderr, 'input-kafka')['corrupt'], 1);
  assert.match(consume.stderr, /not JSON/);
});

test('--kafka-tls-* connect with TLS and a client certificate; a broker that cannot be reached is exit code 4', {
  timeout: 90_000,
}, async (t) => {
  const dir = tempDir(t);
  const cert = (name: string, san: string) => selfSignedCertificate(dir, { name, cn: name, san });
  cert('broker', 'IP:127.0.0.1');
  cert('client', 'DNS:reprise-client');
  const kafka = await startFakeKafka(t, {
    partitions: 1,
    tls: {
      key: readFileSync(join(dir, 'broker.key')),
      cert: readFileSync(join(dir, 'broker.pem')),
      ca: readFileSync(join(dir, 'client.pem')),
      requestCert: true,
      rejectUnauthorized: true,
    },
  });
  writeGor(join(dir, 'in.gor'), recording().slice(0, 4));
  const tlsFlags = [
    '--kafka-tls-ca-cert',
    join(dir, 'broker.pem'),
    '--kafka-tls-client-cert',
    join(dir, 'client.pem'),
    '--kafka-tls-client-key',
    join(dir, 'client.key'),
  ];

  const secure = await runCli([
    '--input-file',
    join(dir, 'in.gor'),
    '--input-file-no-wait',
    '--output-kafka-host',
    kafka.address,
    '--output-kafka-topic',
    'tls',
    ...tlsFlags,
  ]);
  assert.equal(secure.code, 0, secure.stderr);
  assert.equal(storedRecords(kafka, 'tls').length, 4);

  const consume = await runCli([
    '--input-kafka-host',
    kafka.address,
    '--input-kafka-topic',
    'tls',
    '--input-kafka-offset',
    'oldest',
    ...tlsFlags,
    '--output-file',
    join(dir, 'out.gor'),
    '--exit-after',
    '4s',
  ]);
  assert.equal(consume.code, 0, consume.stderr);
  assert.equal(readRecords(join(dir, 'out.gor')).length, 4);

  const noClientCert = await runCli(
    [
      '--input-file',
      join(dir, 'in.gor'),
      '--output-kafka-host',
      kafka.address,
      '--output-kafka-topic',
      'tls',
      '--kafka-tls-ca-cert',
      join(dir, 'broker.pem'),
    ],
    { timeoutMs: 60_000 },
  );
  assert.equal(noClientCert.code, 4, noClientCert.stderr);
  assert.match(noClientCert.stderr, new RegExp(`output-kafka.*cannot use topic tls on the Kafka brokers ${kafka.address}`));

  const keyAlone = await runCli([
    '--input-file',
    join(dir, 'in.gor'),
    '--output-kafka-host',
    kafka.address,
    '--output-kafka-topic',
    'tls',
    '--kafka-tls-client-key',
    join(dir, 'client.key'),
  ]);
  assert.equal(keyAlone.code, 2, keyAlone.stderr);
  assert.match(keyAlone.stderr, /output-kafka.*give both --kafka-tls-client-cert and --kafka-tls-client-key/);

  await kafka.close();
  const down = await runCli(['--input-file', join(dir, 'in.gor'), '--output-kafka-host', kafka.address, '--output-kafka-topic', 'gor'], {
    timeoutMs: 60_000,
  });
  assert.equal(down.code, 4, down.stderr);
  assert.match(down.stderr, new RegExp(`output-kafka.*cannot use topic gor on the Kafka brokers ${kafka.address}: `));
});
