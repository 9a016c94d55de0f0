import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplayClock } from '../src/replay-clock.js';

const MS = 1e6; // keys are nanoseconds

function dues(clock: ReplayClock, keysMs: number[]): number[] {
  return keysMs.map((k) => Math.round(clock.next(k * MS) * 1000) / 1000);
}

test('at 100% the due times reproduce the recorded offsets', { timeout: 5_000 }, () => {
  const clock = new ReplayClock({ speed: 1, maxWaitMs: Infinity, perSecond: Infinity });
  assert.deepEqual(dues(clock, [1000, 1010, 1010, 1500]), [0, 10, 10, 500]);
});

test('the speed divides the gaps', { timeout: 5_000 }, () => {
  assert.deepEqual(dues(new ReplayClock({ speed: 10, maxWaitMs: Infinity, perSecond: Infinity }), [0, 100, 300]), [0, 10, 30]);
  assert.deepEqual(dues(new ReplayClock({ speed: 0.5, maxWaitMs: Infinity, perSecond: Infinity }), [0, 100, 300]), [0, 200, 600]);
});

test('max wait caps one scaled gap and the schedule goes on from there', { timeout: 5_000 }, () => {
  const clock = new ReplayClock({ speed: 2, maxWaitMs: 50, perSecond: Infinity });
  assert.deepEqual(dues(clock, [0, 20, 10_020, 10_040]), [0, 10, 60, 70]);
});

test('a record earlier than the previous one (beyond the read depth) is due at once', { timeout: 5_000 }, () => {
  const clock = new ReplayClock({ speed: 1, maxWaitMs: Infinity, perSecond: Infinity });
  assert.deepEqual(dues(clock, [100, 200, 150, 250]), [0, 100, 100, 200]);
});

test('a per-second rate spaces messages at least 1/N s apart', { timeout: 5_000 }, () => {
  const clock = new ReplayClock({ speed: Infinity, maxWaitMs: Infinity, perSecond: 100 });
  assert.deepEqual(dues(clock, [0, 0, 5000, 5000]), [0, 10, 20, 30]);
  const paced = new ReplayClock({ speed: 1, maxWaitMs: Infinity, perSecond: 100 });
  assert.deepEqual(dues(paced, [0, 1, 2, 100]), [0, 10, 20, 118]);
});

test('no-wait is unpaced, and restart makes the next record due at once', { timeout: 5_000 }, () => {
  const unpaced = new ReplayClock({ speed: Infinity, maxWaitMs: Infinity, perSecond: Infinity });
  assert.equal(unpaced.isUnpaced, true);
  assert.deepEqual(dues(unpaced, [0, 1000, 2000]), [0, 0, 0]);
  const clock = new ReplayClock({ speed: 1, maxWaitMs: Infinity, perSecond: Infinity });
  assert.equal(clock.isUnpaced, false);
  assert.deepEqual(dues(clock, [0, 100]), [0, 100]);
  clock.restart();
  assert.deepEqual(dues(clock, [0, 50]), [100, 150]);
});
