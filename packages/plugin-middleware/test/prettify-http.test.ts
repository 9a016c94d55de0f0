import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { prettifyHttp } from '../src/prettify-http.js';
import { prettifyHttpMiddleware } from '../src/prettify-component.js';
import { recordingContext, request, response } from './context.js';

const BODY = Buffer.from('{"users":[{"id":1,"name":"Ada"},{"id":2,"name":"Grace"}],"note":"café ☕"}', 'utf8');

function message(head: string, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(head.replace(/\n/g, '\r\n'), 'latin1'), body]);
}

function chunked(body: Buffer, sizes: number[]): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (const size of sizes) {
    const piece = body.subarray(at, at + size);
    at += piece.length;
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  if (at < body.length) parts.push(Buffer.from(`${(body.length - at).toString(16)};ext=1\r\n`), body.subarray(at), Buffer.from('\r\n'));
  parts.push(Buffer.from('0\r\nX-Trailer: t\r\n\r\n'));
  return Buffer.concat(parts);
}

const EXPECTED_RESPONSE = message(
  `HTTP/1.1 200 OK\nContent-Type: application/json\nContent-Length: ${BODY.length}\nVary: Accept-Encoding\n\n`,
  BODY,
);

test('a chunked response is joined and gets a Content-Length where Transfer-Encoding was', { timeout: 5000 }, () => {
  const raw = message(
    'HTTP/1.1 200 OK\nContent-Type: application/json\nTransfer-Encoding: chunked\nVary: Accept-Encoding\n\n',
    chunked(BODY, [5, 17]),
  );
  const result = prettifyHttp(raw);
  assert.equal(result.outcome, 'prettified');
  assert.deepEqual(Buffer.from(result.payload), EXPECTED_RESPONSE);
});

for (const [coding, encode] of [
  ['gzip', gzipSync],
  ['x-gzip', gzipSync],
  ['deflate', deflateSync],
  ['br', brotliCompressSync],
] as const) {
  test(`a ${coding} response is decoded, Content-Encoding removed and Content-Length replaced`, { timeout: 5000 }, () => {
    const encoded = encode(BODY);
    const raw = message(
      `HTTP/1.1 200 OK\nContent-Type: application/json\nContent-Length: ${encoded.length}\nContent-Encoding: ${coding}\nVary: Accept-Encoding\n\n`,
      encoded,
    );
    const result = prettifyHttp(raw);
    assert.equal(result.outcome, 'prettified');
    assert.deepEqual(Buffer.from(result.payload), EXPECTED_RESPONSE);
  });
}

test('raw deflate (without the zlib wrapper, as some servers send it) is decoded too', { timeout: 5000 }, () => {
  const encoded = deflateRawSync(BODY);
  const raw = message(
    `HTTP/1.1 200 OK\nContent-Type: application/json\nContent-Encoding: deflate\nContent-Length: ${encoded.length}\nVary: Accept-Encoding\n\n`,
    encoded,
  );
  assert.deepEqual(Buffer.from(prettifyHttp(raw).payload), EXPECTED_RESPONSE);
});

test('a chunked gzip response is joined then decoded; a gzip-then-br body is undone in reverse order', { timeout: 5000 }, () => {
  const raw = message(
    'HTTP/1.1 200 OK\nContent-Type: application/json\nTransfer-Encoding: chunked\nContent-Encoding: gzip\nVary: Accept-Encoding\n\n',
    chunked(gzipSync(BODY), [10, 3]),
  );
  assert.deepEqual(Buffer.from(prettifyHttp(raw).payload), EXPECTED_RESPONSE);

  const twice = brotliCompressSync(gzipSync(BODY));
  const layered = message(
    `HTTP/1.1 200 OK\nContent-Type: application/json\nContent-Encoding: gzip, br\nContent-Length: ${twice.length}\nVary: Accept-Encoding\n\n`,
    twice,
  );
  assert.deepEqual(Buffer.from(prettifyHttp(layered).payload), EXPECTED_RESPONSE);
});

test('a chunked gzip request (lowercase names, bare LF line endings) keeps its start line and other headers', { timeout: 5000 }, () => {
  const raw = Buffer.concat([
    Buffer.from(
      'POST /api/upload?x=1 HTTP/1.1\nhost: example.com\ncontent-encoding: GZIP\ntransfer-encoding: Chunked\nx-id: 7\n\n',
      'latin1',
    ),
    chunked(gzipSync(BODY), [1]),
  ]);
  const result = prettifyHttp(raw);
  assert.equal(result.outcome, 'prettified');
  assert.deepEqual(
    Buffer.from(result.payload),
    Buffer.concat([Buffer.from(`POST /api/upload?x=1 HTTP/1.1\nhost: example.com\nContent-Length: ${BODY.length}\nx-id: 7\n\n`), BODY]),
  );
});

test('a corrupt gzip body is left exactly as it was and reported as corrupt', { timeout: 5000 }, () => {
  const broken = gzipSync(BODY);
  broken[broken.length - 12] ^= 0xff; // inside the deflate data: the CRC no longer matches
  const raw = message(`HTTP/1.1 200 OK\nContent-Encoding: gzip\nContent-Length: ${broken.length}\n\n`, broken);
  const result = prettifyHttp(raw);
  assert.equal(result.outcome, 'corrupt');
  assert.equal(result.payload, raw);

  const notGzip = message('HTTP/1.1 200 OK\nContent-Encoding: gzip\nContent-Length: 5\n\nhello', Buffer.alloc(0));
  assert.deepEqual(prettifyHttp(notGzip), { payload: notGzip, outcome: 'corrupt' });
  const badChunks = message('HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\nzz\r\nhello\r\n0\r\n\r\n', Buffer.alloc(0));
  assert.deepEqual(prettifyHttp(badChunks), { payload: badChunks, outcome: 'corrupt' });
});

test('plain messages, unknown codings, empty encoded bodies and incomplete heads are left untouched', { timeout: 5000 }, () => {
  const cases = [
    message('GET / HTTP/1.1\nHost: a\n\n', Buffer.alloc(0)),
    message('HTTP/1.1 200 OK\nContent-Length: 5\n\n', Buffer.from('hello')),
    message('HTTP/1.1 200 OK\nContent-Encoding: zstd\nContent-Length: 5\n\n', Buffer.from('?????')),
    message('HTTP/1.1 304 Not Modified\nContent-Encoding: gzip\n\n', Buffer.alloc(0)),
    message('HTTP/1.1 200 OK\nTransfer-Encoding: gzip, chunked\n\n', Buffer.from('0\r\n\r\n')),
    Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n'),
  ];
  for (const raw of cases) assert.deepEqual(prettifyHttp(raw), { payload: raw, outcome: 'unchanged' }, raw.toString('latin1'));
});

test('the prettify-http middleware rewrites every kind of message and counts what it decoded and what it could not', {
  timeout: 5000,
}, async () => {
  const ctx = recordingContext('prettify-http');
  const instance = await prettifyHttpMiddleware.create(undefined, {}, ctx);
  const gz = gzipSync(Buffer.from('hello'));
  const req = request('GET / HTTP/1.1\nHost: a\n\n');
  const batch = [
    req,
    {
      ...response('response', req.id, ''),
      payload: message(`HTTP/1.1 200 OK\nContent-Encoding: gzip\nContent-Length: ${gz.length}\n\n`, gz),
    },
    {
      ...response('replayed-response', req.id, ''),
      payload: message('HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n', Buffer.from('5\r\nhello\r\n0\r\n\r\n')),
    },
    {
      ...response('replayed-response', req.id, ''),
      payload: message('HTTP/1.1 200 OK\nContent-Encoding: br\nContent-Length: 3\n\n', Buffer.from('bad')),
    },
  ];
  const out = await instance.process(batch);
  assert.equal(out.length, 4);
  assert.equal(out[0], req, 'an untouched message is passed on as the same object');
  assert.equal(Buffer.from(out[1]!.payload).toString(), 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello');
  assert.equal(Buffer.from(out[2]!.payload).toString(), 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello');
  assert.equal(out[3], batch[3]);
  assert.deepEqual([out[1]!.id, out[1]!.kind, out[2]!.kind], [req.id, 'response', 'replayed-response']);
  assert.equal(ctx.counters.get('prettified'), 2);
  assert.equal(ctx.counters.get('prettify-corrupt'), 1);
});
