import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHttpHead } from '@reprise/core';
import { responseBytes } from '../src/response-bytes.js';

const raw = (...pairs: string[]) => pairs.map((p) => Buffer.from(p, 'latin1'));

test('status line, headers in order and body are written back as HTTP/1.1 bytes', () => {
  const bytes = responseBytes(404, 'Not Found', raw('Content-Type', 'text/plain', 'Content-Length', '4'), [Buffer.from('nope')]);
  assert.equal(bytes.toString('latin1'), 'HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nnope');
});

test('a chunked response is written with a Content-Length in place of its Transfer-Encoding', () => {
  const bytes = responseBytes(200, 'OK', raw('Transfer-Encoding', 'chunked', 'X-A', '1'), [Buffer.from('ab'), Buffer.from('cde')]);
  const head = parseHttpHead(bytes)!;
  assert.deepEqual(head.headers, [
    ['X-A', '1'],
    ['Content-Length', '5'],
  ]);
  assert.equal(bytes.subarray(head.bodyOffset).toString(), 'abcde');
});

test('a response without a body has only its head', () => {
  assert.equal(responseBytes(204, 'No Content', [], []).toString(), 'HTTP/1.1 204 No Content\r\n\r\n');
});

test('a response with trailers is written as capture writes one: the body as one chunk, then the trailer section', () => {
  const bytes = responseBytes(
    200,
    '',
    raw('content-type', 'application/grpc', 'content-length', '7', 'trailer', 'grpc-status'),
    [Buffer.from('ab'), Buffer.from('cde')],
    [
      ['grpc-status', '0'],
      ['grpc-message', 'ok'],
    ],
  );
  assert.equal(
    bytes.toString('latin1'),
    'HTTP/1.1 200 \r\ncontent-type: application/grpc\r\ntransfer-encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\ngrpc-status: 0\r\ngrpc-message: ok\r\n\r\n',
  );
  assert.equal(
    responseBytes(200, 'OK', [], [], [['grpc-status', '5']]).toString('latin1'),
    'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\ngrpc-status: 5\r\n\r\n',
  );
});
