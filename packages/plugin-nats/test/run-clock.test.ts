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

test('the pacer keeps a steady interval, makes good a stall, and starts afresh after a reset', async () => {
  const pacer = new SharePacer();
  const signal = new AbortController().signal;
  const times: number[] = [];
  for (let i = 0; i < 11; i++) {
    await pacer.next(20, signal);
    times.push(Date.now());
  }
  // 10 intervals of 20 ms from the first: timers only fire late, never early
  assert.ok(times.at(-1)! - times[0]! >= 195, `span ${times.at(-1)! - times[0]!} ms`);
  // a 400 ms stall: the 20 requests it owes go at once, the next one waits
  await new Promise((r) => setTimeout(r, 400));
  let before = Date.now();
  for (let i = 0; i < 19; i++) await pacer.next(20, signal);
  assert.ok(Date.now() - before < 100, 'the stall is made good at once');
  before = Date.now();
  for (let i = 0; i < 3; i++) await pacer.next(20, signal);
  assert.ok(Date.now() - before >= 20, 'then the interval holds again');
  // after a reset (nothing was there to send) there is nothing to make good
  await new Promise((r) => setTimeout(r, 200));
  pacer.reset();
  before = Date.now();
  for (let i = 0; i < 3; i++) await pacer.next(20, signal);
  assert.ok(Date.now() - before >= 35, 'no burst after idling');
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
