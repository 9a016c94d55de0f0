import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogLimiter } from '../src/log-limiter.js';
import { BoundedIdSet } from '../src/bounded-id-set.js';

test('the log limiter lets N lines a second through and then tells how many it held back', { timeout: 5000 }, () => {
  let nowMs = 10_000;
  const written: string[] = [];
  const limiter = new LogLimiter(
    2,
    (line) => written.push(line),
    () => nowMs,
  );
  assert.equal(limiter.line('a'), true);
  assert.equal(limiter.line('b'), true);
  assert.equal(limiter.line('c'), false);
  limiter.skip(3);
  nowMs += 1000;
  assert.equal(limiter.line('d'), true);
  assert.deepEqual(written, ['a', 'b', '(4 log lines held back by the rate limit)', 'd']);
});

test('the id set forgets the oldest ids beyond its capacity', { timeout: 5000 }, () => {
  const ids = new BoundedIdSet(2);
  ids.add('a');
  ids.add('b');
  ids.add('c');
  assert.deepEqual([ids.has('a'), ids.has('b'), ids.has('c'), ids.size], [false, true, true, 2]);
});
