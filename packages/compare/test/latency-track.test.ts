import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyTrack } from '../src/latency/latency-track.js';

const ms = (value: number) => BigInt(Math.round(value * 1e6));

/** Within HDR's precision: 2 significant digits keep a value within 1%. */
function near(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= expected * 0.01, `${what}: ${actual} is not ${expected} ± 1%`);
}

test('percentiles of a known distribution are within 1%, non-decreasing, and never above the max', () => {
  // 990 latencies of 1, 2, …, 990 ms, then 10 of 1000.3 ms: the p99.9 falls in the max's HDR bucket,
  // whose top (1003.5 ms) is what the histogram returns.
  const track = new LatencyTrack(2000);
  for (let i = 1; i <= 990; i++) track.record(ms(i));
  for (let i = 0; i < 10; i++) track.record(ms(1000.3));
  const s = track.summary();
  assert.equal(s.count, 1000);
  assert.equal(s.max, 1000.3);
  near(s.p50, 500, 'p50');
  near(s.p90, 900, 'p90');
  near(s.p95, 950, 'p95');
  near(s.p99, 990, 'p99');
  // Broke: p99.9 was 1003.519 ms, above the 1000.3 ms max.
  assert.equal(s.p999, 1000.3, 'p99.9 is clamped to the max');
  const ordered = [s.p50, s.p90, s.p95, s.p99, s.p999, s.max];
  for (let i = 1; i < ordered.length; i++) assert.ok(ordered[i - 1]! <= ordered[i]!, `non-decreasing: ${ordered.join(', ')}`);
});

test('one repeated latency reads as itself at every percentile', () => {
  const track = new LatencyTrack(100);
  for (let i = 0; i < 50; i++) track.record(ms(10.037));
  const s = track.summary();
  assert.deepEqual([s.p50, s.p90, s.p95, s.p99, s.p999, s.max], [10.037, 10.037, 10.037, 10.037, 10.037, 10.037]);
});

test('an empty track and unknown latencies read as zero', () => {
  assert.deepEqual(new LatencyTrack(10).summary(), { count: 0, errors: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 });
  const track = new LatencyTrack(10);
  track.record(0n);
  track.record(-5n);
  assert.deepEqual(track.summary(), { count: 2, errors: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 });
});
