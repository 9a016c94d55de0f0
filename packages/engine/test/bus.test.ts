import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { Bus } from '../src/bus.js';

const options = { timeout: 5000 };

/** Whether `promise` has settled after the pending callbacks ran. */
async function hasSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => {
    settled = true;
  });
  await tick();
  return settled;
}

test('the consumer takes items in the order they were pushed, and waits for the next one', options, async () => {
  const bus = new Bus<string>({ capacity: 10, lowWater: 2 });
  bus.push('a');
  bus.push('b');
  assert.equal(await bus.take(), 'a');
  assert.equal(await bus.take(), 'b');
  const next = bus.take();
  assert.equal(await hasSettled(next), false, 'an empty bus makes the consumer wait');
  bus.push('c');
  assert.equal(await next, 'c');
});

test('idle waits until the bus is empty and the consumer is done with its item', options, async () => {
  const bus = new Bus<number>({ capacity: 10, lowWater: 2 });
  assert.equal(await hasSettled(bus.idle()), true, 'a fresh bus is idle');
  bus.push(1);
  const idle = bus.idle();
  assert.equal(await bus.take(), 1);
  assert.equal(await hasSettled(idle), false, 'empty, but the consumer still works on 1');
  const next = bus.take(); // asking for the next item says 1 is done
  assert.equal(await hasSettled(idle), true);
  bus.close();
  assert.equal(await next, undefined);
});

test('short waits while more than lowWater items are queued; isFull at capacity', options, async () => {
  const bus = new Bus<number>({ capacity: 4, lowWater: 2 });
  for (let i = 0; i < 4; i++) bus.push(i);
  assert.equal(bus.isFull, true);
  assert.equal(bus.size, 4);
  const short = bus.short();
  await bus.take(); // 3 left
  assert.equal(bus.isFull, false);
  assert.equal(await hasSettled(short), false, 'still 3 queued');
  await bus.take(); // 2 left, and the consumer asks again after 0
  await bus.take();
  assert.equal(await hasSettled(short), true);
});

test('short gives up as soon as its signal is aborted', options, async () => {
  const bus = new Bus<number>({ capacity: 10, lowWater: 0 });
  bus.push(1);
  bus.push(2);
  const abort = new AbortController();
  const short = bus.short(abort.signal);
  assert.equal(await hasSettled(short), false);
  abort.abort();
  assert.equal(await hasSettled(short), true, 'two still queued, but the wait was given up');
  assert.equal(bus.size, 2);
});

test('close drops what is queued, ends a waiting consumer and ignores later pushes', options, async () => {
  const bus = new Bus<string>({ capacity: 10, lowWater: 2 });
  const first = bus.take();
  bus.push('kept');
  assert.equal(await first, 'kept');
  bus.push('dropped');
  const idle = bus.idle();
  bus.close();
  assert.equal(bus.closed, true);
  assert.equal(bus.size, 0);
  bus.push('late');
  assert.equal(await bus.take(), undefined);
  assert.equal(await bus.take(), undefined, 'stays ended');
  assert.equal(await hasSettled(idle), true);
});
