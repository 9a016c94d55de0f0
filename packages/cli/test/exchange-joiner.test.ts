import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Exchange } from '@reprise/compare';
import type { Message } from '@reprise/core';
import { ExchangeJoiner } from '../src/compare/exchange-joiner.js';

function message(kind: Message['kind'], id: string, text = ''): Message {
  return { kind, id, timestamp: 1n, latency: 0n, payload: Buffer.from(text) };
}

function joiner(isOriginalBaseline: boolean, maxPending?: number) {
  const out: Exchange[] = [];
  return { out, joiner: new ExchangeJoiner((e) => out.push(e), isOriginalBaseline, maxPending) };
}

test('an exchange is handed on once every reply arrived, whatever the order', () => {
  const { out, joiner: j } = joiner(false);
  const req = message('request', 'a');
  j.replied('candidate', message('replayed-response', 'a', 'c1')); // before the request was registered
  j.sent(req, 4);
  j.replied('baseline', message('replayed-response', 'a', 'b1'));
  j.failed('baseline', req, 'timeout');
  assert.equal(out.length, 0);
  j.replied('candidate', message('replayed-response', 'a', 'c2'));
  assert.equal(out.length, 1);
  const [e] = out;
  assert.equal(e!.request, req);
  assert.deepEqual(
    e!.baseline.map((m) => m.payload.toString()),
    ['b1'],
  );
  assert.deepEqual(
    e!.candidate.map((m) => m.payload.toString()),
    ['c1', 'c2'],
  );
  assert.deepEqual(e!.errors, [{ target: 'baseline', reason: 'timeout' }]);
  assert.equal(j.pendingCount, 0);
});

test('with the recorded response as baseline, an exchange waits for it and uses it as the baseline', () => {
  const { out, joiner: j } = joiner(true);
  const req = message('request', 'b');
  j.sent(req, 1);
  j.replied('candidate', message('replayed-response', 'b', 'c'));
  assert.equal(out.length, 0);
  const original = message('response', 'b', 'o');
  j.original(original);
  assert.equal(out.length, 1);
  assert.deepEqual(out[0]!.baseline, [original]);
  assert.equal(out[0]!.original, original);
});

test('at the end, incomplete exchanges are handed on with the silent side as failed; replies without a request are dropped', () => {
  const { out, joiner: j } = joiner(false);
  j.sent(message('request', 'c'), 2);
  j.replied('baseline', message('replayed-response', 'c'));
  j.replied('candidate', message('replayed-response', 'orphan'));
  j.finish();
  assert.equal(out.length, 1);
  assert.deepEqual(out[0]!.errors, [{ target: 'candidate', reason: 'no-response' }]);
  assert.deepEqual(j.counts, { exchanges: 1, incomplete: 1, withoutOriginal: 0, orphans: 1 });
});

test('requests without a recorded response are counted, not analysed, when the recording is the baseline', () => {
  const { out, joiner: j } = joiner(true);
  j.sent(message('request', 'd'), 1);
  j.replied('candidate', message('replayed-response', 'd'));
  j.finish();
  assert.equal(out.length, 0);
  assert.equal(j.counts.withoutOriginal, 1);
});

test('memory is bounded: past maxPending the oldest waiting exchange is handed on', () => {
  const { out, joiner: j } = joiner(false, 3);
  for (const id of ['1', '2', '3', '4', '5']) j.sent(message('request', id), 2);
  assert.equal(j.pendingCount, 3);
  assert.deepEqual(
    out.map((e) => e.id),
    ['1', '2'],
  );
});
