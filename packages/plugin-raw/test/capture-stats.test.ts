import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '@reprise/core';
import { createRecordingContext } from '@reprise/core/testing';
import { CaptureStats } from '../src/capture-stats.js';

const message = (kind: Message['kind'], size: number, latencyMs = 0): Message => ({
  kind,
  id: '0'.repeat(24),
  timestamp: 0n,
  latency: BigInt(latencyMs * 1_000_000),
  payload: new Uint8Array(size),
});

test('--input-raw-stats lines: totals with their rate over the interval, message sizes and latencies', () => {
  const ctx = createRecordingContext('input-raw');
  const stats = new CaptureStats(ctx.stats);
  stats.add('packets', 100);
  stats.add('requests', 2);
  stats.add('gaps', 1);
  stats.observe([message('request', 100), message('response', 300, 4), message('request', 200), message('response', 50, 2)]);
  assert.equal(
    stats.line(2),
    'capture stats: packets=100 (50.0/s) requests=2 (1.0/s) gaps=1 (0.5/s) bytes=0 (0/s) responses=0 (0/s) messages=4 (2.0/s) size avg=163B max=300B latency avg=3.00ms max=4.00ms',
  );
  // The next interval's rates count only what is new; the totals keep growing.
  stats.add('packets', 20);
  assert.equal(
    stats.line(1),
    'capture stats: packets=120 (20.0/s) requests=2 (0.0/s) gaps=1 (0.0/s) bytes=0 (0/s) responses=0 (0/s) messages=0 (0.0/s) size avg=0B max=0B',
  );
  // Everything still reaches the component's counters.
  assert.equal(ctx.counters.get('packets'), 120);
  assert.equal(ctx.counters.get('gaps'), 1);
});
