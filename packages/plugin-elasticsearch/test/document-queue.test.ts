import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DocumentQueue } from '../src/document-queue.js';

test('the reader gets items in order, then the end once the queue is ended', { timeout: 5000 }, async () => {
  const queue = new DocumentQueue<number>(10);
  for (let i = 0; i < 5; i++) queue.push(i);
  queue.end();
  const seen: number[] = [];
  for await (const item of queue) seen.push(item);
  assert.deepEqual(seen, [0, 1, 2, 3, 4]);
  assert.equal(queue.takenCount, 5);
});

test('a waiting reader is woken by the next push', { timeout: 5000 }, async () => {
  const queue = new DocumentQueue<string>(2);
  const next = queue.next();
  queue.push('a');
  assert.deepEqual(await next, { value: 'a', done: false });
  const end = queue.next();
  queue.end();
  assert.deepEqual(await end, { value: undefined, done: true });
});

test('a full queue makes writers wait until the reader takes an item', { timeout: 5000 }, async () => {
  const queue = new DocumentQueue<number>(2);
  queue.push(1);
  queue.push(2);
  assert.ok(queue.isFull);
  let isReleased = false;
  const space = queue.whenSpace().then(() => {
    isReleased = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(isReleased, false, 'the writer waits while the queue is full');
  await queue.next();
  await space;
  assert.equal(isReleased, true);
});

test('wakeWriters and end release waiting writers at once', { timeout: 5000 }, async () => {
  const queue = new DocumentQueue<number>(1);
  queue.push(1);
  const first = queue.whenSpace();
  queue.wakeWriters();
  await first;
  const second = queue.whenSpace();
  queue.end();
  await second;
  assert.equal(queue.push(3), false, 'nothing is accepted after the end');
});

test('takeAll hands back what the reader never took', { timeout: 5000 }, () => {
  const queue = new DocumentQueue<number>(10);
  for (let i = 0; i < 3; i++) queue.push(i);
  void queue.next();
  assert.deepEqual(queue.takeAll(), [1, 2]);
  assert.equal(queue.length, 0);
});

test('many items pass through without the backing array growing with the total', { timeout: 5000 }, async () => {
  const queue = new DocumentQueue<number>(5000);
  let total = 0;
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 3000; i++) queue.push(i);
    for (let i = 0; i < 2900; i++) total += (await queue.next()).value as number;
    assert.ok(queue.length <= 100 * (round + 1));
  }
  assert.ok(total > 0);
  assert.equal(queue.takenCount, 58000);
});
