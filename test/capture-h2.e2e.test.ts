// HTTP/2 capture end to end: the built CLI captures h2c traffic on lo between a Node http2 (or
// @grpc/grpc-js) client and server; what the server saw is compared with what was recorded.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { connect as tcpConnect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { GorDecoder, headerValue, parseHttpHead, type Message } from '@reprise/core';
import { runWhileSending, tempDir } from './support/cli.js';
import { raw, startEchoGrpcServer } from './support/grpc-echo.js';
import { h2cTestServer } from './support/h2c-server.js';
import { summaryCounters } from './support/gor.js';
import { upgradeChunks } from '../packages/plugin-raw/test/h2-upgrade-fixture.js';
import type { RecordedChunk } from '../packages/plugin-raw/test/h2-traffic.js';

interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** An h2c server answering `ok:<path>` (gRPC-framed with trailers for application/grpc), recording each stream. */
async function h2cServer(t: TestContext) {
  const seen: Seen[] = [];
  const { port, server } = await h2cTestServer(t, (stream, headers, body) => {
    const path = headers[':path'] as string;
    seen.push({ path, headers, body });
    if (path === '/slow') return; // the client cancels it
    if (headers['content-type'] === 'application/grpc') {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    } else {
      stream.respond({ ':status': 200, 'content-type': 'text/plain' });
    }
    stream.end(`ok:${path}`);
  });
  return { port, seen, server };
}

function h2Request(client: ClientHttp2Session, headers: Record<string, string>, body?: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = client.request(headers, { endStream: body === undefined });
    req.on('error', reject);
    req.resume();
    req.on('end', () => resolve());
    if (body !== undefined) req.end(body);
  });
}

function records(file: string): Message[] {
  const decoder = new GorDecoder();
  const out = decoder.end(decoder.push(readFileSync(file)));
  assert.ok(
    out.every((d) => d.type === 'record'),
    'no corrupt record',
  );
  return out.map((d) => (d.type === 'record' ? d.message : undefined!));
}

const text = (m: Message) => Buffer.from(m.payload).toString('latin1');
const head = (m: Message) => parseHttpHead(m.payload)!;
const bodyOf = (m: Message) => text(m).slice(text(m).indexOf('\r\n\r\n') + 4);

/** Recorded requests by path, each with the response that shares its id. */
function exchanges(messages: Message[]) {
  const responses = new Map(messages.filter((m) => m.kind === 'response').map((m) => [m.id, m]));
  return new Map(
    messages.filter((m) => m.kind === 'request').map((m) => [head(m).startLine[1]!, { request: m, response: responses.get(m.id) }]),
  );
}

/** Each stream the server saw was recorded with the same method, path, headers and body. */
function assertRecordedAsSeen(seen: Seen[], messages: Message[]) {
  const byPath = exchanges(messages);
  for (const s of seen) {
    const exchange = byPath.get(s.path);
    assert.ok(exchange, `${s.path} was recorded`);
    const h = head(exchange.request);
    assert.deepEqual(h.startLine, [s.headers[':method'], s.path, 'HTTP/1.1']);
    assert.equal(headerValue(h.headers, 'host'), s.headers[':authority']);
    for (const [name, value] of Object.entries(s.headers)) {
      if (name.startsWith(':') || name === 'content-length') continue;
      assert.equal(headerValue(h.headers, name), Array.isArray(value) ? value.join(', ') : value, `${name} of ${s.path}`);
    }
    assert.deepEqual(Buffer.from(bodyOf(exchange.request), 'latin1'), s.body, `body of ${s.path}`);
  }
}

test('h2c: sequential gRPC-style POSTs, concurrent streams, a 24 KB header and a cancelled stream are recorded stream by stream', {
  timeout: 90_000,
}, async (t) => {
  const server = await h2cServer(t);
  const file = join(tempDir(t), 'h2c.gor');
  const big = 'b'.repeat(24 * 1024);
  const run = await runWhileSending(['--input-raw', `:${server.port}`, '--input-raw-track-response', '--output-file', file], async () => {
    const client = connect(`http://127.0.0.1:${server.port}`);
    client.on('error', () => {});
    for (let i = 0; i < 5; i++) {
      await h2Request(
        client,
        { ':method': 'POST', ':path': `/pkg.Svc/Put/${i}`, 'content-type': 'application/grpc', te: 'trailers', 'x-tenant': 'acme' },
        Buffer.from([0, 0, 0, 0, 1, i]),
      );
    }
    await Promise.all([0, 1, 2, 3, 4, 5].map((i) => h2Request(client, { ':method': 'GET', ':path': `/concurrent/${i}` })));
    await h2Request(client, { ':method': 'GET', ':path': '/big', 'x-big': big });
    const slow = client.request({ ':method': 'GET', ':path': '/slow' });
    slow.on('error', () => {});
    slow.end();
    await new Promise((r) => setTimeout(r, 100));
    slow.close(constants.NGHTTP2_CANCEL);
    await h2Request(client, { ':method': 'GET', ':path': '/after' });
    client.close();
  });
  assert.equal(run.code, 0, run.stderr);
  const messages = records(file);
  assert.ok(
    messages.every((m) => m.protocol === 'h2c'),
    'every record has the h2c token',
  );
  assert.equal(server.seen.length, 14);
  assertRecordedAsSeen(server.seen, messages);
  const byPath = exchanges(messages);
  assert.equal(byPath.get('/slow')!.response, undefined);
  for (const s of server.seen.filter((x) => x.path !== '/slow')) {
    const response = byPath.get(s.path)!.response!;
    assert.ok(response, `the response to ${s.path}`);
    assert.match(bodyOf(response), new RegExp(`ok:${s.path}`));
  }
  // Every stream's id shares the connection's first 16 hex digits.
  assert.equal(new Set(messages.map((m) => m.id.slice(0, 16))).size, 1);
  assert.equal(new Set(messages.filter((m) => m.kind === 'request').map((m) => m.id)).size, 14);
  const counters = summaryCounters(run.stderr, 'input-raw');
  assert.equal(counters['h2-rst-stream'], 1);
  assert.equal(counters['non-http'] ?? 0, 0);
});

test('h2c: a capture started on a connection already open counts it and records nothing from it', { timeout: 90_000 }, async (t) => {
  const server = await h2cServer(t);
  const file = join(tempDir(t), 'late.gor');
  const client = connect(`http://127.0.0.1:${server.port}`);
  client.on('error', () => {});
  t.after(() => client.close());
  await h2Request(client, { ':method': 'GET', ':path': '/before', 'x-same': 'value' });
  const run = await runWhileSending(['--input-raw', `:${server.port}`, '--input-raw-track-response', '--output-file', file], async () => {
    for (let i = 0; i < 3; i++) await h2Request(client, { ':method': 'POST', ':path': `/during/${i}`, 'x-same': 'value' }, `body ${i}`);
    // A new connection during the capture is recorded as usual.
    const fresh = connect(`http://127.0.0.1:${server.port}`);
    fresh.on('error', () => {});
    await h2Request(fresh, { ':method': 'GET', ':path': '/fresh' });
    fresh.close();
  });
  assert.equal(run.code, 0, run.stderr);
  const messages = records(file);
  assert.deepEqual(
    messages.map((m) => `${m.kind} ${m.kind === 'request' ? head(m).startLine[1] : ''}`),
    ['request /fresh', 'response '],
  );
  const counters = summaryCounters(run.stderr, 'input-raw');
  assert.equal(counters['h2-unknown-state'], 1);
  assert.equal(counters['non-http'] ?? 0, 0);
});

test('@grpc/grpc-js: unary and server-streaming calls and a Trailers-Only error are recorded with their trailers', {
  timeout: 90_000,
}, async (t) => {
  const { port, seen } = await startEchoGrpcServer(t);
  const file = join(tempDir(t), 'grpc.gor');
  const run = await runWhileSending(['--input-raw', `:${port}`, '--input-raw-track-response', '--output-file', file], async () => {
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const unary = (path: string, body: Buffer) =>
      new Promise<void>((resolve) => client.makeUnaryRequest(path, raw.serialize, raw.deserialize, body, () => resolve()));
    await unary('/test.Echo/Echo', Buffer.from('hello'));
    await new Promise<void>((resolve) => {
      const stream = client.makeServerStreamRequest('/test.Echo/Count', raw.serialize, raw.deserialize, Buffer.from('three'));
      stream.on('data', () => {});
      stream.on('error', () => {});
      stream.on('end', () => resolve());
    });
    await unary('/test.Echo/Fail', Buffer.from('missing'));
    client.close();
  });
  assert.equal(run.code, 0, run.stderr);
  const byPath = exchanges(records(file));
  assert.equal(seen.length, 3);
  for (const s of seen) {
    const { request, response } = byPath.get(s.path)!;
    assert.equal(request.protocol, 'h2c');
    assert.equal(headerValue(head(request).headers, 'content-type'), 'application/grpc');
    const frame = Buffer.from(bodyOf(request), 'latin1');
    assert.deepEqual(frame.subarray(5), s.request, `the gRPC message of ${s.path}`);
    assert.equal(frame.readUInt32BE(1), s.request.length);
    assert.ok(response, `the response to ${s.path}`);
  }
  const echo = bodyOf(byPath.get('/test.Echo/Echo')!.response!);
  assert.match(echo, /echo:hello\r\n0\r\ngrpc-status: 0\r\n/);
  const count = bodyOf(byPath.get('/test.Echo/Count')!.response!);
  for (const n of ['n0', 'n1', 'n2']) assert.ok(count.includes(n), `streamed message ${n}`);
  assert.match(count, /0\r\ngrpc-status: 0\r\n/);
  const fail = byPath.get('/test.Echo/Fail')!.response!;
  // Trailers-Only: the status travels in the only header block, the body is empty.
  assert.equal(headerValue(head(fail).headers, 'grpc-status'), String(grpc.status.NOT_FOUND));
  // grpc-message is percent-encoded on the wire (gRPC over HTTP/2 spec); recorded as sent.
  assert.equal(headerValue(head(fail).headers, 'grpc-message'), 'no%20such%20thing');
  assert.equal(bodyOf(fail), '');
});

/**
 * Plays one side of a recorded exchange on a socket: writes its own chunks (apart, so each is a
 * segment) and waits for each of the peer's chunks to arrive in full before going on.
 */
async function play(socket: Socket, chunks: RecordedChunk[], side: 'client' | 'server'): Promise<void> {
  let received = 0;
  let wake = () => {};
  socket.on('data', (d: Buffer) => {
    received += d.length;
    wake();
  });
  let expected = 0;
  for (const chunk of chunks) {
    if (chunk.side === side) {
      socket.write(chunk.bytes);
      await new Promise((r) => setTimeout(r, 30));
    } else {
      expected += chunk.bytes.length;
      while (received < expected) await new Promise<void>((r) => (wake = r));
    }
  }
}

test('h2c upgrade: an HTTP/1.1 request with Upgrade: h2c, a 101 and HTTP/2 after it, played on lo from a hand-built fixture', {
  timeout: 90_000,
}, async (t) => {
  const chunks = upgradeChunks(false);
  const server = createTcpServer((socket) => {
    socket.on('error', () => {});
    void play(socket, chunks, 'server').then(() => socket.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const file = join(tempDir(t), 'upgrade.gor');
  const run = await runWhileSending(['--input-raw', `:${port}`, '--input-raw-track-response', '--output-file', file], async () => {
    const socket = tcpConnect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    await play(socket, chunks, 'client');
    socket.end();
  });
  assert.equal(run.code, 0, run.stderr);
  const messages = records(file);
  assert.deepEqual(
    messages.map((m) => `${m.kind} ${m.protocol ?? 'http1'} ${head(m).startLine.join(' ')}`),
    [
      'request http1 POST /upload HTTP/1.1',
      'response h2c HTTP/1.1 200 OK',
      'request h2c GET /next HTTP/1.1',
      'response h2c HTTP/1.1 200 OK',
    ],
  );
  assert.equal(messages[1]!.id, messages[0]!.id, 'stream 1 answers the upgrade request');
  assert.equal(bodyOf(messages[0]!), 'hello');
  assert.equal(bodyOf(messages[1]!), 'upgraded:hello');
  assert.equal(messages[3]!.id, messages[2]!.id);
  assert.equal(bodyOf(messages[3]!), 'next');
});
