import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InputInstance, Message, OutputInstance } from '@reprise/core';
import { createRecordingContext, validatedOptions } from '@reprise/core/testing';
import { inputKafka } from '../src/input-kafka.js';
import { outputKafka } from '../src/output-kafka.js';
import { startFakeKafka, storedRecords } from '../../../test/support/fake-kafka.js';

function message(kind: Message['kind'], connection: string, n: number, text: string): Message {
  return {
    kind,
    id: `${connection}${n.toString(16).padStart(8, '0')}`,
    timestamp: 1_795_574_173_000_000_000n + BigInt(n),
    latency: 0n,
    payload: Buffer.from(text),
  };
}

test('output-kafka produces raw GoReplay messages keyed by connection; input-kafka reads them back from every partition', {
  timeout: 30_000,
}, async (t) => {
  const kafka = await startFakeKafka(t, { partitions: 3 });
  const connections = ['00c81f90017f0001', 'ea601f90017f0001', '1f901f90017f0001'];
  const sent = connections.flatMap((c, i) => [
    message('request', c, i * 2, `GET /c${i} HTTP/1.1\r\nHost: a\r\n\r\n`),
    message('response', c, i * 2, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'),
  ]);
  const outCtx = createRecordingContext('output-kafka');
  const output = (await outputKafka.create(
    undefined,
    validatedOptions(outputKafka, { host: kafka.address, topic: 'gor' }),
    outCtx,
  )) as OutputInstance;
  await output.write(sent.slice(0, 3));
  await output.write(sent.slice(3));
  await output.close?.();
  assert.equal(outCtx.counters.get('produced'), 6);

  const stored = storedRecords(kafka, 'gor');
  assert.equal(stored.length, 6);
  for (const record of stored) {
    const original = sent.find(
      (m) =>
        record.value!.toString('latin1').endsWith(Buffer.from(m.payload).toString('latin1')) &&
        record.key!.toString() === m.id.slice(0, 16),
    )!;
    assert.ok(original, 'every record is a sent message');
    assert.equal(
      record.value!.toString('latin1'),
      `${original.kind === 'request' ? 1 : 2} ${original.id} ${original.timestamp} 0\n${Buffer.from(original.payload).toString('latin1')}`,
    );
  }
  // One connection's messages share a partition.
  for (const c of connections) assert.equal(new Set(stored.filter((r) => r.key!.toString() === c).map((r) => r.partition)).size, 1);

  const inCtx = createRecordingContext('input-kafka');
  const input = (await inputKafka.create(
    undefined,
    validatedOptions(inputKafka, { host: kafka.address, topic: 'gor', offset: 'oldest' }),
    inCtx,
  )) as InputInstance;
  const received: Message[] = [];
  for await (const batch of input.read()) {
    received.push(...batch);
    if (received.length >= sent.length) break;
  }
  await input.close?.();
  const key = (m: Message) => `${m.kind} ${m.id} ${m.timestamp} ${Buffer.from(m.payload).toString('latin1')}`;
  assert.deepEqual(received.map(key).sort(), sent.map(key).sort());
});
