import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '@reprise/core';
import { grpcStatusOf, trailerPairsOf } from '../src/response-trailers.js';
import { isGrpcRequest, mayBeGrpc, wireFor } from '../src/replay-protocol.js';

const raw = (...parts: string[]) => parts.map((p) => Buffer.from(p, 'latin1'));

test('trailers from HTTP/1.1 (raw buffers) and from HTTP/2 (a header object) become the same pairs', () => {
  assert.deepEqual(trailerPairsOf(raw('X-Sum', '1', 'X-Sum', '2')), [
    ['X-Sum', '1'],
    ['X-Sum', '2'],
  ]);
  assert.deepEqual(trailerPairsOf({ 'grpc-status': '0', 'x-many': ['a', 'b'] }), [
    ['grpc-status', '0'],
    ['x-many', 'a'],
    ['x-many', 'b'],
  ]);
  assert.deepEqual(trailerPairsOf(undefined), []);
  assert.deepEqual(trailerPairsOf({}), []);
});

test('grpc-status is read from the trailers first, else from the head of a Trailers-Only response', () => {
  assert.equal(grpcStatusOf(raw('grpc-status', '3'), [['grpc-status', '0']]), 0);
  assert.equal(grpcStatusOf(raw('content-type', 'application/grpc', 'Grpc-Status', ' 14 '), []), 14);
  assert.equal(grpcStatusOf(raw('content-type', 'application/grpc'), []), undefined);
  assert.equal(grpcStatusOf(null, [['grpc-status', 'oops']]), undefined);
});

const message = (protocol?: 'h2c' | 'h2'): Message => ({
  kind: 'request',
  id: '1',
  timestamp: 0n,
  latency: 0n,
  payload: new Uint8Array(),
  ...(protocol ? { protocol } : {}),
});

test('auto sends h2c records and gRPC over HTTP/2, h2 records too to an https target, the rest over HTTP/1.1; a forced protocol applies to all', () => {
  for (const isTls of [false, true]) {
    assert.equal(wireFor('auto', message(), false, isTls), 'http1');
    assert.equal(wireFor('auto', message('h2c'), false, isTls), 'h2');
    assert.equal(wireFor('auto', message(), true, isTls), 'h2');
    assert.equal(wireFor('http1', message('h2c'), true, isTls), 'http1');
    assert.equal(wireFor('h2c', message(), false, isTls), 'h2');
    assert.equal(wireFor('h2', message(), false, isTls), 'h2');
  }
  assert.equal(wireFor('auto', message('h2'), false, true), 'h2');
  assert.equal(wireFor('auto', message('h2'), false, false), 'http1', 'clear text has nothing to negotiate: HTTP/1.1');
  assert.equal(isGrpcRequest(['Host', 'x', 'Content-Type', 'application/grpc+proto']), true);
  assert.equal(isGrpcRequest(['content-type', 'application/json']), false);
  assert.equal(isGrpcRequest(['x-content-type', 'application/grpc']), false);
});

test('the cheap look before parsing never misses a gRPC call, and rules out GETs and POSTs that name no grpc', () => {
  const request = (head: string, body = '') => Buffer.from(`${head}\r\n\r\n${body}`, 'latin1');
  assert.equal(mayBeGrpc(request('POST /pkg.Svc/Get HTTP/1.1\r\nHost: a\r\ncontent-type: application/grpc')), true);
  assert.equal(mayBeGrpc(request('POST /pkg.Svc/Get HTTP/1.1\r\nHost: a\r\nContent-Type: Application/GRPC+proto')), true);
  assert.equal(mayBeGrpc(request('POST /pkg.Svc/Get HTTP/1.1\r\nHost: a\r\ncontent-type: application/Grpc-web')), true);
  assert.equal(mayBeGrpc(request('GET /grpc HTTP/1.1\r\nHost: a')), false, 'gRPC calls are POSTs');
  assert.equal(mayBeGrpc(request('POST /form HTTP/1.1\r\nHost: a\r\ncontent-type: text/plain', 'hello')), false);
  assert.equal(mayBeGrpc(request('POST /jsonrpc HTTP/1.1\r\nHost: a\r\ncontent-type: application/json')), false, 'JSON-RPC is not gRPC');
  const big = request('POST /upload HTTP/1.1\r\nHost: a\r\ncontent-type: text/plain', `${'x'.repeat(8000)}grpc`);
  assert.equal(mayBeGrpc(big), false, 'only the head is looked at');
  const longHead = request(`POST /pkg.Svc/Get HTTP/1.1\r\nX-Pad: ${'p'.repeat(8000)}\r\ncontent-type: application/grpc`);
  assert.equal(mayBeGrpc(longHead), true, 'however long the head');
});
