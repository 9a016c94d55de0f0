import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sessionKeyOf, sessionShareOf, type Message } from '@reprise/core';
import { SessionGate } from '../src/index.js';

/** A message of session `session` (16 hex digits) and exchange `n` (8 hex digits). */
function message(kind: Message['kind'], session: string, n: number): Message {
  return { kind, id: session + n.toString(16).padStart(8, '0'), timestamp: BigInt(n), latency: 0n, payload: new Uint8Array() };
}
const A = 'a'.repeat(16);
const B = 'b'.repeat(16);
/** `ra2`: request of session a, exchange 2; `sa2`: its original response. */
const names = (batch: Message[]) =>
  batch.map((m) => `${m.kind === 'request' ? 'r' : 's'}${m.id.slice(0, 1)}${parseInt(m.id.slice(16), 16)}`);

test('the session key is the first 16 hex digits (connection), shared by every exchange of it', () => {
  assert.equal(sessionKeyOf('0123456789abcdef00000001'), '0123456789abcdef');
  assert.equal(sessionShareOf(A + '00000001', 7), sessionShareOf(A + 'ffffffff', 7));
  const shares = new Set(Array.from({ length: 64 }, (_, i) => sessionShareOf(i.toString(16).padStart(16, '0') + '00000000', 4)));
  assert.deepEqual([...shares].sort(), [0, 1, 2, 3], 'sessions spread over every share');
});

test("a session's second request waits until the first one's replayed response settles; other sessions flow", () => {
  const gate = new SessionGate(1000);
  const passed = gate.admit(
    [message('request', A, 1), message('request', B, 1), message('request', A, 2), message('request', B, 2), message('request', A, 3)],
    0,
  );
  assert.deepEqual(names(passed), ['ra1', 'rb1']);
  assert.equal(gate.held, 3);
  assert.deepEqual(names(gate.settle(A + '00000001', 10)), ['ra2']);
  assert.deepEqual(gate.settle(A + '00000001', 11), [], 'a second response for the same request releases nothing');
  assert.deepEqual(names(gate.settle(B + '00000001', 12)), ['rb2']);
  assert.deepEqual(names(gate.settle(A + '00000002', 13)), ['ra3']);
  assert.equal(gate.held, 0);
  assert.deepEqual(names(gate.admit([message('request', A, 4)], 14)), [], 'still waiting for a3');
  assert.deepEqual(names(gate.settle(A + '00000003', 15)), ['ra4']);
});

test('original responses keep their place in the session, behind a held request', () => {
  const gate = new SessionGate(1000);
  const passed = gate.admit(
    [message('request', A, 1), message('response', A, 1), message('request', A, 2), message('response', A, 2), message('request', A, 3)],
    0,
  );
  assert.deepEqual(names(passed), ['ra1', 'sa1'], 'the response of the awaited request is not held');
  assert.deepEqual(names(gate.settle(A + '00000001', 1)), ['ra2', 'sa2']);
  assert.deepEqual(names(gate.settle(A + '00000002', 2)), ['ra3']);
});

test("an overdue response releases its session's next request, and counts it", () => {
  const gate = new SessionGate(100);
  gate.admit([message('request', A, 1), message('request', A, 2)], 0);
  gate.admit([message('request', B, 1), message('request', B, 2)], 50);
  assert.deepEqual(gate.expire(99), []);
  assert.deepEqual(names(gate.expire(100)), ['ra2'], 'A waited since 0, B only since 50');
  assert.equal(gate.timedOut, 1);
  assert.deepEqual(names(gate.settle(B + '00000001', 120)), ['rb2']);
  assert.deepEqual(names(gate.expire(199)), [], 'A2 waits until 200, B2 until 220');
  assert.deepEqual(names(gate.expire(220)), []);
  assert.equal(gate.timedOut, 3);
  assert.equal(gate.held, 0);
});
