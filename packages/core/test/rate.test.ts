import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDurationMs, parseRateSuffix, parseSizeBytes, RateGate } from '../src/index.js';

test('rate suffixes: |N per second, |N% percent, none', () => {
  assert.deepEqual(parseRateSuffix('http://a|50%', 'x'), { value: 'http://a', rate: { kind: 'percent', value: 50 } });
  assert.deepEqual(parseRateSuffix(':80|100', 'x'), { value: ':80', rate: { kind: 'per-second', value: 100 } });
  assert.deepEqual(parseRateSuffix('requests.gor', 'x'), { value: 'requests.gor' });
  assert.throws(() => parseRateSuffix('a|fast', 'output-http'), /output-http.*\|fast/);
});

test('a |N gate passes at most N per one-second window', () => {
  let now = 0;
  const gate = new RateGate({ kind: 'per-second', value: 3 }, () => now);
  const passed = () => Array.from({ length: 10 }, () => gate.admit()).filter(Boolean).length;
  assert.equal(passed(), 3);
  now = 500;
  assert.equal(passed(), 0);
  now = 1000;
  assert.equal(passed(), 3);
});

test('a |N% gate follows its dice', () => {
  const dice = [0.1, 0.6, 0.49, 0.5];
  const gate = new RateGate({ kind: 'percent', value: 50 }, Date.now, () => dice.shift()!);
  assert.deepEqual([gate.admit(), gate.admit(), gate.admit(), gate.admit()], [true, false, true, false]);
});

test('durations and sizes in Go and GoReplay notation', () => {
  assert.equal(parseDurationMs('1m30s'), 90_000);
  assert.equal(parseDurationMs('250ms'), 250);
  assert.equal(parseDurationMs('2h'), 7_200_000);
  assert.throws(() => parseDurationMs('10 seconds', 'exit-after'), /exit-after.*not a duration/);
  assert.equal(parseSizeBytes('32mb'), 32 * 1024 * 1024);
  assert.equal(parseSizeBytes('1GB'), 1024 ** 3);
  assert.throws(() => parseSizeBytes('big'), /not a size/);
});
