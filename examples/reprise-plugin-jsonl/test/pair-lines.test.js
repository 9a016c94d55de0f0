import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PairLines } from '../pair-lines.js';

const bytes = (text) => new TextEncoder().encode(text);
const request = (id) => ({
  kind: 'request',
  id,
  timestamp: 1n,
  latency: 0n,
  payload: bytes('POST /items?x=1 HTTP/1.1\r\nHost: shop\r\n\r\n{"a":1}'),
});
const response = (id, kind = 'response') => ({
  kind,
  id,
  timestamp: 2n,
  latency: 3_000_000n,
  payload: bytes('HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok'),
});

test('a request and its response become one line, in either order', () => {
  const pairs = new PairLines();
  assert.deepEqual(pairs.add([request('a'.repeat(24))]), []);
  const [line] = pairs.add([response('a'.repeat(24))]);
  const pair = JSON.parse(line);
  assert.equal(pair.request.method, 'POST');
  assert.equal(pair.request.url, '/items?x=1');
  assert.equal(pair.request.host, 'shop');
  assert.equal(pair.response.status, 201);
  assert.equal(pair.response.latencyMs, 3);
  assert.equal(pair.request.body, undefined, 'bodies are left out unless asked');
  const reversed = new PairLines({ includeBodies: true });
  assert.deepEqual(reversed.add([response('b'.repeat(24), 'replayed-response')]), []);
  const other = JSON.parse(reversed.add([request('b'.repeat(24))])[0]);
  assert.equal(other.replayedResponse.status, 201);
  assert.equal(other.request.body, '{"a":1}');
});

test('a request without a response is written alone after the timeout, or at the end', () => {
  let now = 0;
  const pairs = new PairLines({ pairTimeoutMs: 100, now: () => now });
  pairs.add([request('c'.repeat(24))]);
  now = 50;
  assert.deepEqual(pairs.add([request('d'.repeat(24))]), []);
  now = 120;
  const lines = pairs.add([]);
  assert.equal(lines.length, 1);
  assert.equal(JSON.parse(lines[0]).request.id, 'c'.repeat(24));
  assert.equal(JSON.parse(lines[0]).response, null);
  assert.equal(pairs.expire(true).length, 1, 'the rest at the end');
});
