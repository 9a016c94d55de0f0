import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FifoQueue } from '../src/fifo-queue.js';

test('items come out in the order they went in, across the cut-downs of a long queue', () => {
  const queue = new FifoQueue<number>();
  const out: number[] = [];
  let next = 0;
  // push two, take one: the queue grows while its front is taken, so the array is cut down many times
  for (let round = 0; round < 5000; round++) {
    queue.push(next++);
    queue.push(next++);
    assert.equal(queue.peek(), out.length);
    out.push(queue.shift()!);
  }
  while (queue.length > 0) out.push(queue.shift()!);
  assert.deepEqual(
    out,
    Array.from({ length: next }, (_, i) => i),
  );
  assert.equal(queue.shift(), undefined);
  assert.equal(queue.peek(), undefined);
});

test('clear empties the queue', () => {
  const queue = new FifoQueue<string>();
  queue.push('a');
  queue.push('b');
  queue.shift();
  queue.clear();
  assert.equal(queue.length, 0);
  queue.push('c');
  assert.equal(queue.shift(), 'c');
});
