import assert from 'node:assert/strict';
import { constants } from 'node:http2';
import { test } from 'node:test';
import { parseHttpHead, headerValue } from '@reprise/core';
import { H2Session, type H2Events } from '../src/h2/h2-session.js';
import { looksLikeFrames, startsWithPreface } from '../src/h2/h2-frames.js';
import { h2Request, recordH2, type RecordedChunk } from './h2-traffic.js';

interface Decoded {
  requests: Map<number, string>;
  responses: Map<number, string>;
  aborted: number[];
  failures: string[];
  order: string[];
}

function decode(chunks: RecordedChunk[], options = {}): Decoded {
  const out: Decoded = { requests: new Map(), responses: new Map(), aborted: [], failures: [], order: [] };
  const events: H2Events = {
    request: (id, payload) => {
      out.requests.set(id, Buffer.from(payload).toString('latin1'));
      out.order.push(`req ${id}`);
    },
    response: (id, payload) => {
      out.responses.set(id, Buffer.from(payload).toString('latin1'));
      out.order.push(`res ${id}`);
    },
    aborted: (id) => out.aborted.push(id),
    undecodable: (reason) => out.failures.push(reason),
  };
  const session = new H2Session(events, options);
  let t = 0;
  for (const chunk of chunks) session[chunk.side](chunk.bytes, { seconds: 1, nanoseconds: t++ });
  return out;
}

const head = (text: string) => parseHttpHead(Buffer.from(text, 'latin1'))!;
const bodyOf = (text: string) => text.slice(text.indexOf('\r\n\r\n') + 4);

test('sequential POSTs with repeated headers decode through the dynamic table, as HTTP/1.1-shaped messages', {
  timeout: 20_000,
}, async () => {
  const chunks = await recordH2({
    async run(client) {
      for (let i = 0; i < 5; i++) {
        await h2Request(
          client,
          {
            ':method': 'POST',
            ':path': `/svc.Items/Put?i=${i}`,
            'content-type': 'application/json',
            authorization: 'Bearer same-token-every-time',
            'x-call': String(i),
          },
          JSON.stringify({ i }),
        );
      }
    },
  });
  const decoded = decode(chunks);
  assert.deepEqual(decoded.failures, []);
  assert.equal(decoded.requests.size, 5);
  for (const [id, text] of decoded.requests) {
    const i = (id - 1) / 2;
    const h = head(text);
    assert.deepEqual(h.startLine, ['POST', `/svc.Items/Put?i=${i}`, 'HTTP/1.1']);
    assert.equal(headerValue(h.headers, 'host'), text.match(/Host: (127\.0\.0\.1:\d+)/)![1]);
    assert.equal(headerValue(h.headers, 'authorization'), 'Bearer same-token-every-time');
    assert.equal(headerValue(h.headers, 'x-call'), String(i));
    assert.equal(headerValue(h.headers, 'content-length'), String(JSON.stringify({ i }).length));
    assert.equal(bodyOf(text), JSON.stringify({ i }));
    const response = decoded.responses.get(id)!;
    assert.deepEqual(head(response).startLine, ['HTTP/1.1', '200', 'OK']);
    assert.equal(bodyOf(response), `ok:/svc.Items/Put?i=${i}`);
  }
});

test('concurrent streams are paired by stream id, whatever order their frames interleave in', { timeout: 20_000 }, async () => {
  const chunks = await recordH2({
    onStream(stream, headers) {
      // Answer later requests first, so responses interleave against request order.
      const n = Number(String(headers[':path']).slice(3));
      setTimeout(
        () => {
          stream.respond({ ':status': 200 });
          stream.end(`answer-${n}`);
        },
        (20 - n) * 3,
      );
    },
    async run(client) {
      await Promise.all(Array.from({ length: 20 }, (_, n) => h2Request(client, { ':method': 'GET', ':path': `/c/${n}` })));
    },
  });
  const decoded = decode(chunks);
  assert.equal(decoded.requests.size, 20);
  assert.equal(decoded.responses.size, 20);
  for (const [id, text] of decoded.requests) {
    const n = head(text).startLine[1].slice(3);
    assert.equal(bodyOf(decoded.responses.get(id)!), `answer-${n}`);
  }
});

test('a 24 KB header block split into CONTINUATION frames decodes whole', { timeout: 20_000 }, async () => {
  const big = 'v'.repeat(24 * 1024);
  const chunks = await recordH2({
    serverOptions: { maxHeaderListSize: 64 * 1024 } as never,
    async run(client) {
      await h2Request(client, { ':method': 'GET', ':path': '/big', 'x-big': big });
      await h2Request(client, { ':method': 'GET', ':path': '/after', 'x-big': big });
    },
  });
  const decoded = decode(chunks);
  assert.deepEqual(decoded.failures, []);
  const texts = [...decoded.requests.values()];
  assert.equal(texts.length, 2);
  for (const text of texts) assert.equal(headerValue(head(text).headers, 'x-big'), big);
});

test('gRPC-style trailers become a chunked trailer section; a Trailers-Only error has no body', { timeout: 20_000 }, async () => {
  const chunks = await recordH2({
    onStream(stream, headers) {
      if (headers[':path'] === '/pkg.Svc/Fail') {
        stream.respond(
          { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'not found' },
          { endStream: true },
        );
        return;
      }
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'OK' }));
      stream.end(Buffer.from([0, 0, 0, 0, 2, 8, 1]));
    },
    async run(client) {
      await h2Request(
        client,
        { ':method': 'POST', ':path': '/pkg.Svc/Get', 'content-type': 'application/grpc', te: 'trailers' },
        Buffer.from([0, 0, 0, 0, 2, 8, 7]),
      );
      await h2Request(
        client,
        { ':method': 'POST', ':path': '/pkg.Svc/Fail', 'content-type': 'application/grpc', te: 'trailers' },
        Buffer.from([0, 0, 0, 0, 0]),
      );
    },
  });
  const decoded = decode(chunks);
  const ok = decoded.responses.get(1)!;
  assert.equal(headerValue(head(ok).headers, 'transfer-encoding'), 'chunked');
  assert.equal(bodyOf(ok), '7\r\n\u0000\u0000\u0000\u0000\u0002\u0008\u0001\r\n0\r\ngrpc-status: 0\r\ngrpc-message: OK\r\n\r\n');
  const failed = decoded.responses.get(3)!;
  assert.equal(headerValue(head(failed).headers, 'grpc-status'), '5');
  assert.equal(headerValue(head(failed).headers, 'content-length'), '0');
  assert.equal(headerValue(head(decoded.requests.get(1)!).headers, 'te'), 'trailers');
});

test('a cancelled stream records its request as aborted, with no response, and later streams still decode', {
  timeout: 20_000,
}, async () => {
  const chunks = await recordH2({
    onStream(stream, headers) {
      if (headers[':path'] === '/slow') {
        setTimeout(() => {
          if (!stream.destroyed) {
            stream.respond({ ':status': 200 });
            stream.end('late');
          }
        }, 300);
        return;
      }
      stream.respond({ ':status': 200 });
      stream.end('fast');
    },
    async run(client) {
      const req = client.request({ ':method': 'GET', ':path': '/slow' });
      req.on('error', () => {});
      req.end();
      await new Promise((resolve) => setTimeout(resolve, 50));
      req.close(constants.NGHTTP2_CANCEL);
      await h2Request(client, { ':method': 'GET', ':path': '/fast' });
    },
  });
  const decoded = decode(chunks);
  assert.deepEqual(decoded.aborted, [1]);
  assert.equal(head(decoded.requests.get(1)!).startLine[1], '/slow');
  assert.equal(decoded.responses.has(1), false);
  assert.equal(bodyOf(decoded.responses.get(3)!), 'fast');
});

test('padded frames are read without their padding', { timeout: 20_000 }, async () => {
  const chunks = await recordH2({
    serverOptions: { paddingStrategy: constants.PADDING_STRATEGY_MAX } as never,
    async run(client) {
      await h2Request(client, { ':method': 'GET', ':path': '/padded' });
    },
  });
  const decoded = decode(chunks);
  assert.equal(bodyOf(decoded.responses.get(1)!), 'ok:/padded');
});

test('bytes from the middle of a connection look like frames but are not decoded: no garbage', { timeout: 20_000 }, async () => {
  const chunks = await recordH2({
    async run(client) {
      for (let i = 0; i < 4; i++) await h2Request(client, { ':method': 'GET', ':path': `/m/${i}`, 'x-same': 'header' });
    },
  });
  const clientChunks = chunks.filter((c) => c.side === 'client');
  assert.equal(startsWithPreface(clientChunks[0]!.bytes), true);
  const late = chunks.slice(chunks.findIndex((c, i) => i > 4 && c.side === 'client'));
  assert.equal(startsWithPreface(late[0]!.bytes), false);
  assert.equal(looksLikeFrames(late[0]!.bytes), true);
  assert.equal(looksLikeFrames(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')), false);
  const decoded = decode(late);
  assert.deepEqual(decoded.failures, ['protocol']);
  assert.equal(decoded.requests.size, 0);
});
