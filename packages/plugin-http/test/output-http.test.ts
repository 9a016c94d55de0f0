import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { ServerResponse } from 'node:http';
import { headerValue, parseHttpHead, type Message } from '@reprise/core';
import { closedPort, createOutput, headerPairs, isSettled, requestMessage, startRecordingServer } from './helpers.js';
import { selfSignedCertificate } from '../../../test/support/tls-cert.js';

const T = { timeout: 15_000 };

test('bodies arrive intact with their length, whether recorded with Content-Length or chunked', T, async (t) => {
  const target = await startRecordingServer(t);
  const { output, ctx } = await createOutput(t, target.url);
  const binary = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256));
  const withLength = Buffer.concat([
    Buffer.from(
      `POST /upload HTTP/1.1\r\nHost: shop.example\r\nContent-Type: application/octet-stream\r\nContent-Length: ${binary.length}\r\n\r\n`,
    ),
    binary,
  ]);
  const chunked =
    'PUT /chunked HTTP/1.1\r\nHost: shop.example\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n';
  await output.write([requestMessage(withLength), requestMessage(chunked)]);
  await output.flush!();

  assert.deepEqual(ctx.counters, {});
  const upload = target.seen.find((s) => s.url === '/upload')!;
  assert.deepEqual(upload.body, binary);
  assert.equal(headerValue(headerPairs(upload.rawHeaders), 'content-length'), String(binary.length));
  const put = target.seen.find((s) => s.url === '/chunked')!;
  assert.equal(put.method, 'PUT');
  assert.equal(put.body.toString(), 'hello, world');
  assert.equal(headerValue(headerPairs(put.rawHeaders), 'content-length'), '12');
  assert.equal(headerValue(headerPairs(put.rawHeaders), 'transfer-encoding'), undefined);
});

test('method, path with query and headers are replayed as recorded, in order', T, async (t) => {
  const target = await startRecordingServer(t);
  const { output } = await createOutput(t, target.url);
  await output.write([
    requestMessage(
      'DELETE /items/42?force=true&x=%20y HTTP/1.1\r\nHost: shop.example\r\nX-Second: b\r\nAccept: application/json\r\n' +
        'X-First: a\r\nCookie: s=1; t=2\r\nConnection: keep-alive\r\n\r\n',
    ),
  ]);
  await output.flush!();
  assert.equal(target.seen.length, 1);
  const seen = target.seen[0]!;
  assert.equal(seen.method, 'DELETE');
  assert.equal(seen.url, '/items/42?force=true&x=%20y');
  const recorded = headerPairs(seen.rawHeaders).filter(([name]) => !/^(host|connection)$/i.test(name));
  assert.deepEqual(recorded, [
    ['X-Second', 'b'],
    ['Accept', 'application/json'],
    ['X-First', 'a'],
    ['Cookie', 's=1; t=2'],
  ]);
});

test('the Host header is rewritten to the target unless originalHost is set', T, async (t) => {
  const target = await startRecordingServer(t);
  const raw = 'GET /h HTTP/1.1\r\nHost: shop.example\r\n\r\n';
  const rewriting = await createOutput(t, target.url);
  await rewriting.output.write([requestMessage(raw)]);
  await rewriting.output.flush!();
  const keeping = await createOutput(t, target.url, { originalHost: true });
  await keeping.output.write([requestMessage(raw)]);
  await keeping.output.flush!();

  assert.equal(headerValue(headerPairs(target.seen[0]!.rawHeaders), 'host'), `127.0.0.1:${target.port}`);
  assert.equal(headerValue(headerPairs(target.seen[1]!.rawHeaders), 'host'), 'shop.example');
});

test('tracked responses come back as replayed-response messages with the request id, a latency and the raw response', T, async (t) => {
  const target = await startRecordingServer(t, (req, res) => {
    res.writeHead(201, { 'X-Reply': req.url!.slice(1) });
    res.end(`body of ${req.url}`);
  });
  const { output, ctx } = await createOutput(t, target.url, { trackResponse: true });
  assert.equal(output.emitsMessages, true);
  const requests = ['/one', '/two', '/three'].map((p) => requestMessage(`GET ${p} HTTP/1.1\r\nHost: h\r\n\r\n`));
  const beforeNs = BigInt(Date.now()) * 1_000_000n;
  await output.write(requests);
  await output.flush!();
  const afterNs = BigInt(Date.now() + 1) * 1_000_000n;

  const responses: Message[] = ctx.emitted.flat();
  assert.equal(responses.length, 3);
  for (const request of requests) {
    const response = responses.find((r) => r.id === request.id);
    assert.ok(response, `a response for ${request.id}`);
    assert.equal(response.kind, 'replayed-response');
    assert.ok(response.latency > 0n, 'latency is measured');
    assert.ok(response.timestamp >= beforeNs && response.timestamp <= afterNs, 'timestamp is when the response started');
    const head = parseHttpHead(response.payload)!;
    const path = request.payload.toString().split(' ')[1]!;
    assert.deepEqual(head.startLine, ['HTTP/1.1', '201', 'Created']);
    assert.equal(headerValue(head.headers, 'x-reply'), path.slice(1));
    assert.equal(Buffer.from(response.payload.subarray(head.bodyOffset)).toString(), `body of ${path}`);
  }
});

test('without trackResponse nothing is emitted', T, async (t) => {
  const target = await startRecordingServer(t);
  const { output, ctx } = await createOutput(t, target.url);
  assert.notEqual(output.emitsMessages, true);
  await output.write([requestMessage('GET / HTTP/1.1\r\n\r\n')]);
  await output.flush!();
  assert.equal(target.seen.length, 1);
  assert.deepEqual(ctx.emitted, []);
});

test('5xx responses are delivered and counted as failed', T, async (t) => {
  const target = await startRecordingServer(t, (_req, res) => {
    res.statusCode = 503;
    res.end('down');
  });
  const { output, ctx } = await createOutput(t, target.url, { trackResponse: true });
  await output.write([requestMessage('GET / HTTP/1.1\r\n\r\n'), requestMessage('GET /b HTTP/1.1\r\n\r\n')]);
  await output.flush!();
  assert.deepEqual(ctx.counters, { failed: 2, 'status-5xx': 2 });
  assert.equal(ctx.emitted.flat().length, 2);
});

test('messages other than requests are skipped and counted', T, async (t) => {
  const target = await startRecordingServer(t);
  const { output, ctx } = await createOutput(t, target.url);
  const response: Message = { ...requestMessage('HTTP/1.1 200 OK\r\n\r\n'), kind: 'response' };
  await output.write([response]);
  await output.flush!();
  assert.deepEqual(ctx.counters, { skipped: 1 });
  assert.equal(target.seen.length, 0);
});

test('a payload that is not an HTTP request is counted as invalid without stopping the others', T, async (t) => {
  const target = await startRecordingServer(t);
  const { output, ctx } = await createOutput(t, target.url);
  await output.write([requestMessage('not http at all'), requestMessage('GET /ok HTTP/1.1\r\n\r\n')]);
  await output.flush!();
  assert.deepEqual(ctx.counters, { failed: 1, 'invalid-request': 1 });
  assert.deepEqual(
    target.seen.map((s) => s.url),
    ['/ok'],
  );
});

test('a target that refuses connections is counted as refused, without throwing, and flush resolves', T, async (t) => {
  const port = await closedPort();
  const { output, ctx } = await createOutput(t, `http://127.0.0.1:${port}`);
  await output.write(Array.from({ length: 20 }, (_, i) => requestMessage(`GET /${i} HTTP/1.1\r\n\r\n`)));
  await output.flush!();
  assert.deepEqual(ctx.counters, { failed: 20, refused: 20 });
  assert.equal(ctx.warnings.length, 1, 'one warning for the reason, not one per request');
  assert.match(ctx.warnings[0]!, /refused.*ECONNREFUSED/);
});

test('a target that never answers is counted as timed out once the timeout passes', T, async (t) => {
  const target = await startRecordingServer(t, () => {
    /* never answers */
  });
  const { output, ctx } = await createOutput(t, target.url, { timeout: '300ms' });
  await output.write([
    requestMessage('GET /1 HTTP/1.1\r\n\r\n'),
    requestMessage('GET /2 HTTP/1.1\r\n\r\n'),
    requestMessage('POST /3 HTTP/1.1\r\nContent-Length: 1\r\n\r\nx'),
  ]);
  await output.flush!();
  assert.deepEqual(ctx.counters, { failed: 3, timeout: 3 });
  assert.equal(ctx.warnings.filter((w) => w.includes('(timeout)')).length, 1);
});

test('a target that destroys its sockets is counted as reset', T, async (t) => {
  const target = await startRecordingServer(t, (req) => req.socket.destroy());
  const { output, ctx } = await createOutput(t, target.url);
  await output.write([
    requestMessage('GET /1 HTTP/1.1\r\n\r\n'),
    requestMessage('GET /2 HTTP/1.1\r\n\r\n'),
    requestMessage('POST /3 HTTP/1.1\r\n\r\n'),
  ]);
  await output.flush!();
  assert.equal(ctx.counters.failed, 3);
  assert.equal(ctx.counters.reset, 3);
});

test('write() waits while the in-flight window is full and resumes as responses arrive', T, async (t) => {
  const held: ServerResponse[] = [];
  let isReleased = false;
  const target = await startRecordingServer(t, (_req, res) => {
    if (isReleased) res.end('late');
    else held.push(res);
  });
  const { output, ctx } = await createOutput(t, target.url, { queueLen: 2 });
  const written = Promise.resolve(output.write(Array.from({ length: 6 }, (_, i) => requestMessage(`GET /${i} HTTP/1.1\r\n\r\n`))));
  // wait until the server holds at least one request, so the window is really occupied
  while (held.length === 0) await new Promise((r) => setTimeout(r, 5));
  assert.equal(await isSettled(written), false, 'write() must not resolve while 6 requests are out and the window is 2');
  isReleased = true;
  for (const res of held) res.end('ok');
  await written;
  await output.flush!();
  assert.equal(target.seen.length, 6);
  assert.deepEqual(ctx.counters, {});
});

test('close() aborts requests still in flight, counts them, and lets a pending flush resolve', T, async (t) => {
  const target = await startRecordingServer(t, () => {
    /* never answers */
  });
  const { output, ctx } = await createOutput(t, target.url, { timeout: '30s' });
  await output.write([requestMessage('GET /1 HTTP/1.1\r\n\r\n'), requestMessage('GET /2 HTTP/1.1\r\n\r\n')]);
  const flushed = output.flush!();
  while (target.seen.length === 0) await new Promise((r) => setTimeout(r, 5));
  await output.close!();
  await flushed;
  await output.close!(); // idempotent
  assert.deepEqual(ctx.counters, { failed: 2, aborted: 2 });
});

test('redirects are not followed by default and are followed when asked', T, async (t) => {
  const target = await startRecordingServer(t, (req, res) => {
    if (req.url === '/start') {
      res.writeHead(302, { Location: '/final' });
      res.end();
    } else res.end(`at ${req.url}`);
  });
  const raw = 'GET /start HTTP/1.1\r\nHost: shop.example\r\n\r\n';

  const plain = await createOutput(t, target.url, { trackResponse: true });
  await plain.output.write([requestMessage(raw)]);
  await plain.output.flush!();
  assert.deepEqual(
    target.seen.map((s) => s.url),
    ['/start'],
  );
  assert.equal(parseHttpHead(plain.ctx.emitted.flat()[0]!.payload)!.startLine[1], '302');

  const following = await createOutput(t, target.url, { trackResponse: true, redirects: 3 });
  await following.output.write([requestMessage(raw)]);
  await following.output.flush!();
  assert.deepEqual(
    target.seen.map((s) => s.url),
    ['/start', '/start', '/final'],
  );
  const final = following.ctx.emitted.flat()[0]!;
  const head = parseHttpHead(final.payload)!;
  assert.equal(head.startLine[1], '200');
  assert.equal(Buffer.from(final.payload.subarray(head.bodyOffset)).toString(), 'at /final');
  assert.deepEqual(following.ctx.counters, {});
});

test('https with a self-signed certificate fails by default and works with skipVerify', T, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-http-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tls = selfSignedCertificate(dir);
  const server = createHttpsServer({ key: readFileSync(tls.key), cert: readFileSync(tls.cert) }, (req, res) => {
    res.end(`secure ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const strict = await createOutput(t, url);
  await strict.output.write([requestMessage('GET /s HTTP/1.1\r\n\r\n')]);
  await strict.output.flush!();
  assert.deepEqual(strict.ctx.counters, { failed: 1, tls: 1 });

  const lenient = await createOutput(t, url, { skipVerify: true, trackResponse: true });
  await lenient.output.write([requestMessage('GET /s HTTP/1.1\r\n\r\n')]);
  await lenient.output.flush!();
  assert.deepEqual(lenient.ctx.counters, {});
  const response = lenient.ctx.emitted.flat()[0]!;
  assert.match(Buffer.from(response.payload).toString(), /\r\n\r\nsecure \/s$/);
});

test('a path on the target URL is reported as ignored, since requests keep their recorded paths', T, async (t) => {
  const target = await startRecordingServer(t);
  const { output, ctx } = await createOutput(t, `${target.url}/api`);
  await output.write([requestMessage('GET /items HTTP/1.1\r\n\r\n')]);
  await output.flush!();
  assert.deepEqual(
    target.seen.map((s) => s.url),
    ['/items'],
  );
  assert.equal(ctx.warnings.length, 1);
  assert.match(ctx.warnings[0]!, /path .* is ignored/);
});
