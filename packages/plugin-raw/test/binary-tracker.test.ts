// --input-raw-protocol binary on crafted segments: bursts cut where the other side speaks or the
// client's ack moves; a request burst and the answer to it share an id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionIdOf } from '@reprise/core';
import { CLIENT, makeTracker, SERVER_PORT, text, TCP_ACK, TCP_FIN, TCP_SYN } from './tracker-segments.js';

const BINARY = { protocol: 'binary' as const };

test("each client burst is a request and the server's answer a response with the same id", { timeout: 5_000 }, () => {
  const { feed, messages, counters } = makeTracker(true, 2000, BINARY);
  feed('request', 100, '', TCP_SYN, 1500);
  feed('response', 900, '', TCP_SYN | TCP_ACK, 1500, 1, 101);
  // Two segments make one burst (same ack), then the server answers in two segments.
  feed('request', 101, 'SET k ', TCP_ACK, 1500, 1, 901);
  feed('request', 107, 'v\n', TCP_ACK, 1500, 1, 901);
  feed('response', 901, '+O', TCP_ACK, 1500, 1, 109);
  feed('response', 903, 'K\n', TCP_ACK, 1500, 1, 109);
  feed('request', 109, 'GET k\n', TCP_ACK, 1500, 1, 905);
  feed('response', 905, 'v\n', TCP_ACK, 1500, 1, 115);
  feed('request', 115, '', TCP_FIN | TCP_ACK, 1500, 1, 907);
  feed('response', 907, '', TCP_FIN | TCP_ACK, 1500, 1, 116);
  assert.deepEqual(
    messages.map((m) => [m.kind, text(m)]),
    [
      ['request', 'SET k v\n'],
      ['response', '+OK\n'],
      ['request', 'GET k\n'],
      ['response', 'v\n'],
    ],
  );
  const connection = connectionIdOf(1500, SERVER_PORT, CLIENT);
  assert.deepEqual(
    messages.map((m) => m.id),
    [901, 901, 905, 905].map((ack) => connection + ack.toString(16).padStart(8, '0')),
  );
  assert.equal(counters.requests, 2);
  assert.equal(counters.responses, 2);
  assert.equal(counters['non-http'], 0);
});

test('without responses, a new ack from the client cuts its bursts; the last ends with the connection', { timeout: 5_000 }, () => {
  const { feed, messages, tracker } = makeTracker(false, 2000, BINARY);
  feed('request', 101, 'one', TCP_ACK, 40000, 1, 500);
  feed('request', 104, 'two', TCP_ACK, 40000, 1, 510);
  feed('request', 107, 'three', TCP_ACK, 40000, 1, 520);
  assert.deepEqual(messages.map(text), ['one', 'two']);
  tracker.finishAll();
  assert.deepEqual(messages.map(text), ['one', 'two', 'three']);
  assert.ok(messages.every((m) => m.kind === 'request'));
});

test('a server that speaks first (a greeting) gives a response of its own id; a quiet burst ends at expiry', { timeout: 5_000 }, () => {
  const { feed, messages, tracker, now } = makeTracker(true, 1000, BINARY);
  feed('request', 100, '', TCP_SYN);
  feed('response', 700, '', TCP_SYN | TCP_ACK, 40000, 1, 101);
  feed('response', 701, '220 hello\r\n', TCP_ACK, 40000, 1, 101);
  feed('request', 101, 'HELO x\r\n', TCP_ACK, 40000, 1, 712);
  assert.deepEqual(
    messages.map((m) => [m.kind, text(m), m.id.slice(16)]),
    [['response', '220 hello\r\n', (701).toString(16).padStart(8, '0')]],
  );
  tracker.sweep(now() + 1500);
  assert.deepEqual(messages.map((m) => [m.kind, text(m)]).at(-1), ['request', 'HELO x\r\n']);
  assert.equal(messages.at(-1)!.id.slice(16), (712).toString(16).padStart(8, '0'));
});

test('a hole drops the burst it falls in and nothing else', { timeout: 5_000 }, () => {
  const { feed, messages, counters, tracker } = makeTracker(true, 2000, BINARY);
  feed('request', 100, '', TCP_SYN);
  feed('request', 101, 'aaaa', TCP_ACK, 40000, 1, 1);
  // 4 bytes at 105 never arrive; the server acknowledges them
  feed('request', 109, 'cccc', TCP_ACK, 40000, 1, 1);
  feed('response', 1, 'answer', TCP_ACK, 40000, 1, 113);
  tracker.sweep(Date.now() + 10_000_000_000);
  tracker.finishAll();
  assert.equal(counters.gaps, 1);
  assert.ok(!messages.some((m) => text(m).includes('aaaa')), 'the broken burst never comes out');
});
