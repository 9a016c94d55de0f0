import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeRecords, GOR_SEPARATOR, type GorCorruption, type Message } from '@reprise/core';
import { RecordStream } from '../src/record-stream.js';

function message(n: number, body = `GET /r/${n} HTTP/1.1\r\nHost: example\r\n\r\n`): Message {
  return {
    kind: n % 2 ? 'request' : 'response',
    id: n.toString(16).padStart(24, '0'),
    timestamp: 1_700_000_000_000_000_000n + BigInt(n),
    latency: BigInt(n * 7),
    payload: Buffer.from(body),
  };
}

function decodeChunks(chunks: Buffer[], maxRecordBytes = 1 << 20) {
  const stream = new RecordStream(maxRecordBytes);
  const messages: Message[] = [];
  const corrupt: GorCorruption[] = [];
  const withinLimit = chunks.map((chunk) => stream.push(chunk, messages, corrupt));
  stream.end(messages, corrupt);
  return { messages, corrupt, withinLimit };
}

const view = (m: Message) => ({
  kind: m.kind,
  id: m.id,
  timestamp: m.timestamp,
  latency: m.latency,
  payload: Buffer.from(m.payload).toString('latin1'),
});

test('records split across chunks at every byte position decode to the same messages', { timeout: 20_000 }, () => {
  const sent = [message(1), message(2, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'), message(3, 'binary \u00f0\u009f\n\u0000 bytes')];
  const bytes = encodeRecords(sent);
  for (let cut = 0; cut <= bytes.length; cut++) {
    for (const second of [cut, Math.min(bytes.length, cut + 5)]) {
      const { messages, corrupt } = decodeChunks([bytes.subarray(0, cut), bytes.subarray(cut, second), bytes.subarray(second)]);
      assert.deepEqual(corrupt, [], `cut at ${cut}/${second}`);
      assert.deepEqual(messages.map(view), sent.map(view), `cut at ${cut}/${second}`);
    }
  }
});

test('one byte per chunk decodes every record', () => {
  const sent = [message(1), message(2), message(3)];
  const bytes = encodeRecords(sent);
  const { messages } = decodeChunks([...bytes].map((b) => Buffer.from([b])));
  assert.deepEqual(messages.map(view), sent.map(view));
});

test('a separator inside a payload ends the record there, as GoReplay reads it: the tail is a corrupt record and the next record survives', () => {
  const inner = `POST /upload HTTP/1.1\r\nContent-Length: 30\r\n\r\nbefore${GOR_SEPARATOR.toString('utf8')}after`;
  const bytes = encodeRecords([message(1), message(3, inner), message(5)]);
  const { messages, corrupt } = decodeChunks([bytes]);
  assert.deepEqual(
    messages.map((m) => [m.id, Buffer.from(m.payload).toString('utf8')]),
    [
      [message(1).id, Buffer.from(message(1).payload).toString()],
      [message(3).id, 'POST /upload HTTP/1.1\r\nContent-Length: 30\r\n\r\nbefore'],
      [message(5).id, Buffer.from(message(5).payload).toString()],
    ],
  );
  assert.equal(corrupt.length, 1);
  assert.match(corrupt[0]!.reason, /payload type/);
});

test('a corrupt header is reported with its offset and skipped; the records on both sides are kept', () => {
  const good1 = encodeRecords([message(1)]);
  const bad = Buffer.concat([Buffer.from('9 not-a-header\ngarbage'), GOR_SEPARATOR]);
  const good2 = encodeRecords([message(3)]);
  const { messages, corrupt } = decodeChunks([Buffer.concat([good1, bad.subarray(0, 4)]), Buffer.concat([bad.subarray(4), good2])]);
  assert.deepEqual(
    messages.map((m) => m.id),
    [message(1).id, message(3).id],
  );
  assert.equal(corrupt.length, 1);
  assert.equal(corrupt[0]!.offset, good1.length);
  assert.equal(corrupt[0]!.lengthBytes, bad.length);
});

test('a connection that ends in the middle of a record reports it as truncated', () => {
  const bytes = encodeRecords([message(1), message(3)]);
  const { messages, corrupt } = decodeChunks([bytes.subarray(0, bytes.length - 3)]);
  assert.deepEqual(
    messages.map((m) => m.id),
    [message(1).id],
  );
  assert.equal(corrupt.length, 1);
  assert.match(corrupt[0]!.reason, /truncated/);
});

test('more bytes than the record limit without a separator is refused', () => {
  const { withinLimit } = decodeChunks([Buffer.alloc(600, 0x41), Buffer.alloc(600, 0x41)], 1000);
  assert.deepEqual(withinLimit, [true, false]);
  const ok = decodeChunks([encodeRecords([message(1, 'x'.repeat(900))])], 1000);
  assert.deepEqual(ok.withinLimit, [true]);
});
