// End to end: the built CLI indexes into a loopback server answering like Elasticsearch 8
// (test/support/fake-elasticsearch-server.ts), fed by a real .gor file.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeRecords, type Message } from '@reprise/core';
import { FakeElasticsearch } from './support/fake-elasticsearch-server.js';
import { recordingServer, runCli, tempDir } from './support/cli.js';

const T0 = BigInt(Date.UTC(2026, 10, 26, 3, 0, 0)) * 1_000_000n;

/** A .gor file of `count` requests, each with its original response (status 200, or 404 for odd ones). */
function writeRecording(file: string, count: number): void {
  const messages: Message[] = [];
  for (let i = 0; i < count; i++) {
    const id = (0xe5000 + i).toString(16).padStart(24, '0');
    const at = T0 + BigInt(i) * 1_000_000n;
    messages.push({
      kind: 'request',
      id,
      timestamp: at,
      latency: 0n,
      payload: Buffer.from(
        `GET /item/${i}?v=${i} HTTP/1.1\r\nHost: shop.test\r\nAuthorization: Bearer token-${i}\r\nCookie: sid=cookie-${i}\r\n\r\n`,
      ),
    });
    messages.push({
      kind: 'response',
      id,
      timestamp: at + 3_000_000n,
      latency: 0n,
      payload: Buffer.from(`HTTP/1.1 ${i % 2 ? 404 : 200} X\r\nContent-Length: 2\r\n\r\nok`),
    });
  }
  writeFileSync(file, encodeRecords(messages));
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('the CLI indexes each recorded request with its original response, redacted, into the index of the address', {
  timeout: 60000,
}, async (t) => {
  const fake = await FakeElasticsearch.start();
  t.after(() => fake.close());
  const file = join(tempDir(t), 'requests.gor');
  writeRecording(file, 4);
  const result = await runCli([
    '--input-file',
    file,
    '--output-elasticsearch',
    `${fake.url}/gor`,
    '--output-elasticsearch-join-window',
    '1s',
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(fake.documents.length, 4);
  assert.ok(fake.templates.has('reprise-gor'));
  const byPath = new Map(fake.documents.map((d) => [d.document['Req_Path'], d.document]));
  assert.equal(byPath.get('/item/0')!['Resp_Status-Code'], '200');
  assert.equal(byPath.get('/item/1')!['Resp_Status-Code'], '404');
  assert.equal(byPath.get('/item/1')!['RTT'], 3);
  assert.equal(byPath.get('/item/1')!['Req_Authorization'], 'Bearer [redacted]');
  assert.ok(!JSON.stringify(fake.documents).includes('token-'), 'no bearer token reaches Elasticsearch');
  assert.ok(!JSON.stringify(fake.documents).includes('cookie-'), 'no cookie value reaches Elasticsearch');
  assert.match(result.stderr, /es-indexed=4/);
});

test("GoReplay's --output-http-elasticsearch indexes each replayed request with its replayed response", { timeout: 60000 }, async (t) => {
  const fake = await FakeElasticsearch.start();
  t.after(() => fake.close());
  const app = await recordingServer(t, (req) => ({ status: req.url === '/item/2?v=2' ? 503 : 200, body: 'app' }));
  const file = join(tempDir(t), 'requests.gor');
  writeRecording(file, 3);
  const result = await runCli([
    '--input-file',
    file,
    '--output-http',
    app.url,
    '--output-http-track-response',
    '--output-http-elasticsearch',
    `${fake.url.replace('http://', '')}/gor`,
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(app.received.length, 3);
  assert.equal(fake.documents.length, 3);
  for (const { document } of fake.documents) {
    assert.equal(document['Resp_Source'], 'replayed');
    assert.equal(document['Resp_Status-Code'], document['Req_Path'] === '/item/2' ? '503' : '200');
    assert.equal(document['Orig_Status-Code'], undefined, 'original responses are not part of this form');
  }
});

test('output-elasticsearch puts original and replayed statuses side by side and flags the mismatches', { timeout: 60000 }, async (t) => {
  const fake = await FakeElasticsearch.start();
  t.after(() => fake.close());
  const app = await recordingServer(t, () => ({ status: 200, body: 'app' }));
  const file = join(tempDir(t), 'requests.gor');
  writeRecording(file, 4);
  const result = await runCli([
    '--input-file',
    file,
    '--output-http',
    app.url,
    '--output-http-track-response',
    '--output-elasticsearch',
    `${fake.url}/gor`,
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(fake.documents.length, 4);
  for (const { document } of fake.documents) {
    const isOdd = Number(String(document['Req_Path']).split('/').pop()) % 2 === 1;
    assert.equal(document['Orig_Status-Code'], isOdd ? '404' : '200');
    assert.equal(document['Replay_Status-Code'], '200');
    assert.equal(document['Status_Mismatch'], isOdd);
  }
  assert.doesNotMatch(result.stderr, /es-orphan-responses/);
});

test('with Elasticsearch down, replay goes on and the failed documents are in the exit summary', { timeout: 60000 }, async (t) => {
  const app = await recordingServer(t, () => ({ status: 200, body: 'app' }));
  const file = join(tempDir(t), 'requests.gor');
  writeRecording(file, 5);
  const port = await closedPort();
  const result = await runCli([
    '--input-file',
    file,
    '--output-http',
    app.url,
    '--output-elasticsearch',
    `http://127.0.0.1:${port}/gor`,
    '--output-elasticsearch-retries',
    '1',
    '--output-elasticsearch-retry-backoff',
    '50ms',
  ]);
  assert.equal(app.received.length, 5, 'every request was replayed');
  assert.match(result.stderr, /output-elasticsearch[^\n]*failed=5/);
  assert.match(result.stderr, /es-unavailable=5/);
  assert.match(result.stderr, /unreachable/);
  assert.notEqual(result.signal, 'SIGKILL');
});
