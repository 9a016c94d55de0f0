import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '@reprise/core';
import { grpcStatusOf, trailerPairsOf } from '../src/response-trailers.js';
import { isGrpcRequest, wireFor } from '../src/replay-protocol.js';

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
