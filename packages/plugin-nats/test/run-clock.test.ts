import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dueAtMs, modeRefusal, shareIntervalMs, SharePacer } from '../src/run-clock.js';

const clock = { startMs: 10_000, firstTimestampNs: '1795574173000000000' };

test('with a speed, a request is due at the start plus its recorded offset divided by the speed', () => {
  const at = (offsetMs: number, speedPercent: number) =>
    dueAtMs({ ...clock, speedPercent }, 1_795_574_173_000_000_000n + BigInt(offsetMs) * 1_000_000n);
  assert.equal(at(0, 100), 10_000);
  assert.equal(at(500, 100), 10_500);
  assert.equal(at(500, 1000), 10_050);
  assert.equal(at(-5, 100), 10_000, 'a message older than the first is due at once');
  assert.equal(dueAtMs(clock, 5n), undefined, 'no speed: no pacing');
});

test('each live worker takes its share of the rate', () => {
  assert.equal(shareIntervalMs({ ...clock, ratePerSecond: 200 }, 1), 5);
  assert.equal(shareIntervalMs({ ...clock, ratePerSecond: 200 }, 4), 20);
  assert.equal(shareIntervalMs(clock, 4), undefined);
});

test('the pacer keeps a steady interval, makes good a stall up to its limit, and starts afresh after a reset', () => {
  const pacer = new SharePacer();
  const slots = (count: number, nowMs: number) => Array.from({ length: count }, () => pacer.slotAt(20, nowMs));
  assert.deepEqual(slots(3, 1_000), [1_000, 1_020, 1_040], 'one interval apart from the first call');
  // called at 1_500 (a 440 ms stall after the slot at 1_040): the 23 slots it owes (1_060…1_500) are due now
  const afterStall = slots(25, 1_500);
  assert.ok(
    afterStall.slice(0, 23).every((atMs) => atMs <= 1_500),
    'the stall is made good at once',
  );
  assert.deepEqual(afterStall.slice(22), [1_500, 1_520, 1_540], 'then the interval holds again');
  // a stall longer than the catch-up limit is made good only for its last 5 s
  assert.equal(pacer.slotAt(20, 100_000), 95_000);
  // after a reset (nothing was there to send) there is nothing to make good
  pacer.reset();
  assert.deepEqual(slots(3, 200_000), [200_000, 200_020, 200_040], 'no burst after idling');
});

test('the pacer waits on real timers: 10 intervals of 20 ms take at least 195 ms', async () => {
  const pacer = new SharePacer();
  const signal = new AbortController().signal;
  const firstMs = Date.now();
  for (let i = 0; i < 11; i++) await pacer.next(20, signal);
  // timers fire late, never early; the slack covers libuv's cached loop time
  assert.ok(Date.now() - firstMs >= 195, `span ${Date.now() - firstMs} ms`);
});

test('a worker of the other mode is refused, naming the flag; a clock of either mode takes its own kind, an older clock anyone', () => {
  const withAffinity = { ...clock, sessionAffinity: true };
  const without = { ...clock, sessionAffinity: false };
  assert.equal(modeRefusal(withAffinity, true, 'shop'), undefined);
  assert.equal(modeRefusal(without, false, 'shop'), undefined);
  assert.equal(modeRefusal(clock, true, 'shop'), undefined, 'a clock written before the mode was recorded');
  assert.match(
    modeRefusal(withAffinity, false, 'shop')!,
    /^the workers of service "shop" run with --session-affinity and this one without: start it with/,
  );
  assert.match(
    modeRefusal(without, true, 'shop')!,
    /run without --session-affinity and this one with: start it without --session-affinity/,
  );
});
