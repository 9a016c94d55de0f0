import assert from 'node:assert/strict';
import { constants } from 'node:http2';
import { test } from 'node:test';
import { connectionIdOf, headerValue, messageIdOf, parseHttpHead, type Message } from '@reprise/core';
import { h2Request, recordH2, type RecordedChunk } from './h2-traffic.js';
import { feedChunks } from './h2-segments.js';
import { CLIENT, SERVER_PORT, text } from './tracker-segments.js';
import { upgradeChunks } from './h2-upgrade-fixture.js';

const head = (m: Message) => parseHttpHead(m.payload)!;
const bodyOf = (m: Message) => text(m).slice(text(m).indexOf('\r\n\r\n') + 4);

/** Requests and their responses by the request's path. */
function exchanges(messages: Message[]): Map<string, { request: Message; response?: Message }> {
  const byPath = new Map<string, { request: Message; response?: Message }>();
  const byId = new Map<string, { request: Message; response?: Message }>();
  for (const m of messages) {
    if (m.kind === 'request') {
      const exchange = { request: m };
      byPath.set(head(m).startLine[1]!, exchange);
      byId.set(m.id, exchange);
    } else {
      const exchange = byId.get(m.id);
      assert.ok(exchange, `response ${m.id} follows its request`);
      assert.equal(exchange.response, undefined, `one response per id ${m.id}`);
      exchange.response = m;
    }
  }
  return byPath;
}

interface Seen {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

async function grpcStylePosts(): Promise<{ chunks: RecordedChunk[]; seen: Seen[] }> {
  const seen: Seen[] = [];
  const chunks = await recordH2({
    onStream(stream, headers, body) {
      seen.push({ path: headers[':path'] as string, headers, body });
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.concat([Buffer.from([0, 0, 0, 0, body.length]), body]));
    },
    async run(client) {
      for (let i = 0; i < 6; i++) {
        const body = Buffer.from(`message ${i}`);
        const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, body.length]), body]);
        await h2Request(
          client,
          {
            ':method': 'POST',
            ':path': `/pkg.Items/Put/${i}`,
            'content-type': 'application/grpc',
            te: 'trailers',
            'x-tenant': 'acme',
            'x-call': String(i),
          },
          frame,
        );
      }
    },
  });
  return { chunks, seen };
}

for (const clientPort of [40000, 1234]) {
  test(`sequential gRPC-style POSTs on h2c become h2c-tagged request/response pairs (client port ${clientPort})`, {
    timeout: 20_000,
  }, async () => {
    const { chunks, seen } = await grpcStylePosts();
    const { messages, counters } = feedChunks(chunks, { clientPort });
    assert.equal(counters['non-http'], 0);
    assert.equal(counters.requests, 6);
    assert.equal(counters.responses, 6);
    assert.ok(messages.every((m) => m.protocol === 'h2c'));
    // Ids: the connection (client port, server port, client address), then the stream id (1, 3, 5…).
    const connection = connectionIdOf(clientPort, SERVER_PORT, CLIENT);
    assert.deepEqual(
      messages.filter((m) => m.kind === 'request').map((m) => m.id),
      [1, 3, 5, 7, 9, 11].map((streamId) => messageIdOf(connection, streamId)),
    );
    const byPath = exchanges(messages);
    assert.equal(seen.length, 6);
    for (const s of seen) {
      const exchange = byPath.get(s.path)!;
      const h = head(exchange.request);
      assert.deepEqual(h.startLine, ['POST', s.path, 'HTTP/1.1']);
      for (const name of ['content-type', 'te', 'x-tenant', 'x-call']) assert.equal(headerValue(h.headers, name), s.headers[name], name);
      assert.deepEqual(Buffer.from(bodyOf(exchange.request), 'latin1'), s.body);
      const response = exchange.response!;
      assert.equal(headerValue(head(response).headers, 'transfer-encoding'), 'chunked');
      assert.match(bodyOf(response), /0\r\ngrpc-status: 0\r\n\r\n$/);
      assert.ok(response.timestamp >= exchange.request.timestamp);
    }
  });
}

test('concurrent streams pair by stream id; a cancelled stream is counted and its request kept', { timeout: 20_000 }, async () => {
  const chunks = await recordH2({
    onStream(stream, headers) {
      const path = headers[':path'] as string;
      if (path === '/slow') return; // never answered: the client cancels it
      // Answer in reverse order of arrival so the responses interleave.
      setTimeout(
        () => {
          stream.respond({ ':status': 200 });
          stream.end(`ok:${path}`);
        },
        60 - Number(path.slice(3)) * 10,
      );
    },
    async run(client) {
      const slow = client.request({ ':method': 'GET', ':path': '/slow' });
      slow.on('error', () => {});
      slow.end();
      await Promise.all([0, 1, 2, 3, 4].map((i) => h2Request(client, { ':method': 'GET', ':path': `/c/${i}` })));
      slow.close(constants.NGHTTP2_CANCEL);
      await h2Request(client, { ':method': 'GET', ':path': '/after' });
    },
  });
  const { messages, counters } = feedChunks(chunks);
  assert.equal(counters['h2-rst-stream'], 1);
  const byPath = exchanges(messages);
  assert.equal(byPath.get('/slow')!.response, undefined);
  for (const path of ['/c/0', '/c/1', '/c/2', '/c/3', '/c/4', '/after']) assert.equal(bodyOf(byPath.get(path)!.response!), `ok:${path}`);
  assert.equal(counters.unpaired, 0);
});

test('a 24 KB header crosses CONTINUATION frames and TCP segments whole', { timeout: 20_000 }, async () => {
  const big = 'v'.repeat(24 * 1024);
  const chunks = await recordH2({
    async run(client) {
      await h2Request(client, { ':method': 'GET', ':path': '/big', 'x-big': big });
    },
  });
  const { messages } = feedChunks(chunks);
  assert.equal(headerValue(head(exchanges(messages).get('/big')!.request).headers, 'x-big'), big);
});

test('a capture that joins an h2c connection late counts it once and emits nothing, never non-http', { timeout: 20_000 }, async () => {
  const { chunks } = await grpcStylePosts();
  const late = chunks.findIndex((c, i) => i > 6 && c.side === 'client');
  const { messages, counters } = feedChunks(chunks, { fromChunk: late });
  assert.deepEqual(messages, []);
  assert.equal(counters['h2-unknown-state'], 1);
  assert.equal(counters['non-http'], 0);
});

test('an h2c connection quiet for longer than --input-raw-expire is kept: its later streams still decode', {
  timeout: 20_000,
}, async () => {
  const { chunks, seen } = await grpcStylePosts();
  const middle = chunks.findIndex((c, i) => i > chunks.length / 2 && c.side === 'client');
  const { messages, counters } = feedChunks(chunks, { pause: { beforeChunk: middle, ms: 60_000 } });
  assert.equal(counters['h2-unknown-state'], 0);
  assert.equal(messages.filter((m) => m.kind === 'request').length, seen.length);
});

test('without --input-raw-track-response only the h2c requests are recorded', { timeout: 20_000 }, async () => {
  const { chunks, seen } = await grpcStylePosts();
  const { messages, counters } = feedChunks(chunks, { trackResponse: false });
  assert.deepEqual(
    messages.map((m) => `${m.kind} ${head(m).startLine[1]}`),
    seen.map((s) => `request ${s.path}`),
  );
  assert.equal(counters.incomplete, 0, 'a stream whose request is complete is not left open');
});

for (const isOneSegment of [true, false]) {
  test(`Upgrade: h2c + 101 switches the connection; stream 1 answers the upgrade request (101 ${isOneSegment ? 'and frames in one segment' : 'alone'})`, {
    timeout: 5_000,
  }, () => {
    const { messages, counters } = feedChunks(upgradeChunks(isOneSegment));
    assert.equal(counters['non-http'], 0);
    assert.deepEqual(
      messages.map((m) => `${m.kind} ${m.protocol ?? 'http1'} ${head(m).startLine.join(' ')}`),
      [
        'request http1 POST /upload HTTP/1.1',
        'response h2c HTTP/1.1 200 OK',
        'request h2c GET /next HTTP/1.1',
        'response h2c HTTP/1.1 200 OK',
      ],
    );
    assert.equal(messages[1]!.id, messages[0]!.id, 'stream 1 pairs with the upgrade request');
    assert.equal(bodyOf(messages[1]!), 'upgraded:hello');
    assert.equal(messages[3]!.id, messages[2]!.id);
    const connection = connectionIdOf(40000, SERVER_PORT, CLIENT);
    assert.equal(messages[0]!.id.slice(0, 16), connection, 'the upgrade request has its HTTP/1 id on the connection');
    assert.equal(messages[2]!.id, messageIdOf(connection, 3), 'stream 3 has the connection and its stream id');
    assert.equal(headerValue(head(messages[2]!).headers, 'host'), '127.0.0.1:8080');
    assert.equal(bodyOf(messages[3]!), 'next');
  });
}

test('an Upgrade: h2c the server refuses keeps the connection HTTP/1', { timeout: 5_000 }, () => {
  const [request] = upgradeChunks(true);
  const { messages } = feedChunks([
    request!,
    { side: 'server', bytes: Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno', 'latin1') },
    { side: 'client', bytes: Buffer.from('GET /again HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1') },
    { side: 'server', bytes: Buffer.from('HTTP/1.1 204 No Content\r\n\r\n', 'latin1') },
  ]);
  assert.deepEqual(
    messages.map((m) => `${m.kind} ${m.protocol ?? 'http1'} ${head(m).startLine.join(' ')}`),
    [
      'request http1 POST /upload HTTP/1.1',
      'response http1 HTTP/1.1 200 OK',
      'request http1 GET /again HTTP/1.1',
      'response http1 HTTP/1.1 204 No Content',
    ],
  );
});

test('a server whose SETTINGS arrive before the client preface is still decoded (held until the client speaks)', {
  timeout: 20_000,
}, async () => {
  const { chunks, seen } = await grpcStylePosts();
  const firstServer = chunks.findIndex((c) => c.side === 'server');
  const reordered = [chunks[firstServer]!, ...chunks.filter((_, i) => i !== firstServer)];
  assert.equal(reordered[0]!.bytes[3], 0x4, 'the server speaks first, with a SETTINGS frame');
  const { messages, counters } = feedChunks(reordered);
  assert.equal(counters['h2-unknown-state'], 0);
  assert.equal(messages.filter((m) => m.kind === 'response').length, seen.length);
});
