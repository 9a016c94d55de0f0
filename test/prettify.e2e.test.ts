// End to end through the built CLI: --prettify-http decodes recorded requests and responses and the
// replayed responses of a real server (chunked + gzip), before they are recorded and replayed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import type { Message } from '@reprise/core';
import { runCli, tempDir } from './support/cli.js';
import { readRecords, summaryCounters, writeGor } from './support/gor.js';

const JSON_BODY = '{"items":[1,2,3],"text":"prettified"}';
const base = 1_795_574_173_000_000_000n;

function record(kind: Message['kind'], id: string, offsetMs: number, head: string, body: Uint8Array): Message {
  return {
    kind,
    id,
    timestamp: base + BigInt(offsetMs) * 1_000_000n,
    latency: 0n,
    payload: Buffer.concat([Buffer.from(head.replace(/\n/g, '\r\n')), body]),
  };
}

test('--prettify-http records and replays decoded bodies with a Content-Length, and counts a corrupt one', {
  timeout: 60_000,
}, async (t) => {
  // The target answers every request with a chunked gzip body (no Content-Length: Node chunks it).
  const seenBodies: Array<{ headers: Record<string, unknown>; body: string }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seenBodies.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      const zipped = gzipSync(JSON_BODY);
      res.write(zipped.subarray(0, 7));
      res.end(zipped.subarray(7));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const dir = tempDir(t);
  const input = join(dir, 'in.gor');
  const output = join(dir, 'out.gor');
  const idA = 'a'.repeat(16) + '00000001';
  const idB = 'a'.repeat(16) + '00000002';
  const gz = gzipSync(JSON_BODY);
  const br = brotliCompressSync(JSON_BODY);
  const chunkedGzip = Buffer.concat([
    Buffer.from(`5\r\n`),
    gz.subarray(0, 5),
    Buffer.from(`\r\n${(gz.length - 5).toString(16)}\r\n`),
    gz.subarray(5),
    Buffer.from('\r\n0\r\n\r\n'),
  ]);
  const corrupt = Buffer.from(gz);
  corrupt[12] ^= 0xff;
  writeGor(input, [
    record('request', idA, 0, 'POST /upload HTTP/1.1\nHost: recorded\nContent-Encoding: gzip\nTransfer-Encoding: chunked\n\n', chunkedGzip),
    record('response', idA, 1, `HTTP/1.1 201 Created\nContent-Encoding: br\nContent-Length: ${br.length}\n\n`, br),
    record('request', idB, 2, 'GET /plain HTTP/1.1\nHost: recorded\n\n', Buffer.alloc(0)),
    record('response', idB, 3, `HTTP/1.1 200 OK\nContent-Encoding: gzip\nContent-Length: ${corrupt.length}\n\n`, corrupt),
  ]);

  const result = await runCli(
    [
      '--input-file',
      input,
      '--input-file-no-wait',
      '--prettify-http',
      '--output-http',
      target,
      '--output-http-track-response',
      '--output-file',
      output,
    ],
    { timeoutMs: 40_000 },
  );
  assert.equal(result.code, 0, result.stderr);

  // The target received the decoded request body with its length, not the chunked gzip bytes.
  const upload = seenBodies.find((s) => s.body !== '');
  assert.equal(upload?.body, JSON_BODY);
  assert.equal(upload?.headers['content-length'], String(JSON_BODY.length));
  assert.equal(upload?.headers['content-encoding'], undefined);

  const records = readRecords(output);
  const payloadOf = (type: string, id: string) => records.filter((r) => r.type === type && r.id === id).map((r) => r.payload);
  const len = JSON_BODY.length;
  assert.deepEqual(payloadOf('1', idA), [`POST /upload HTTP/1.1\r\nHost: recorded\r\nContent-Length: ${len}\r\n\r\n${JSON_BODY}`]);
  assert.deepEqual(payloadOf('2', idA), [`HTTP/1.1 201 Created\r\nContent-Length: ${len}\r\n\r\n${JSON_BODY}`]);
  assert.deepEqual(payloadOf('2', idB), [
    `HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${corrupt.length}\r\n\r\n${corrupt.toString('latin1')}`,
  ]);
  // Replayed responses: the server's chunked gzip, decoded; its other headers as the server wrote them.
  for (const id of [idA, idB]) {
    const [replayed] = payloadOf('3', id);
    const [head, body] = (replayed ?? '').split('\r\n\r\n');
    assert.equal(body, JSON_BODY);
    assert.match(head!, new RegExp(`^HTTP/1.1 200 OK\r\n(.+\r\n)*Content-Length: ${len}(\r\n|$)`));
    assert.doesNotMatch(head!, /transfer-encoding|content-encoding/i);
  }

  const counters = summaryCounters(result.stderr, 'prettify-http');
  assert.equal(counters['prettified'], 4);
  assert.equal(counters['prettify-corrupt'], 1);
});
