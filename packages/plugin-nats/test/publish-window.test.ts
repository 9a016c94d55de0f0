import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PublishWindow } from '../src/publish-window.js';

/** A window over items that are their own size; publishes settle when the test says so. */
function windowOf(window: number, maxBytes: number) {
  const settle: Array<() => void> = [];
  const overflowed: Array<[number, string]> = [];
  let acked = 0;
  const w = new PublishWindow<number>(window, maxBytes, (size) => size, {
    publish: () => new Promise((resolve) => settle.push(() => resolve({ duplicate: false }))),
    overflow: (size, reason) => overflowed.push([size, reason]),
    onAck: () => acked++,
    onFailure: () => undefined,
  });
  w.isConnected = true;
  return { w, settle, overflowed, acked: () => acked };
}

test('the window holds at most its count and its bytes in flight; the rest overflows at once', async () => {
  const { w, settle, overflowed, acked } = windowOf(3, 100);
  for (const size of [10, 10, 10, 10]) w.offer(size);
  assert.deepEqual(overflowed, [[10, 'full']], 'count');
  settle.shift()!();
  await new Promise((r) => setImmediate(r));
  w.offer(85);
  assert.deepEqual(overflowed.at(-1), [85, 'full'], 'bytes: 20 in flight + 85 > 100');
  w.offer(80);
  assert.equal(w.pending, 3);
  for (const s of settle.splice(0)) s();
  await w.idle();
  assert.equal(acked(), 4);
});

test('a message larger than the byte limit goes alone, and waiting for room waits for its bytes', async () => {
  const { w, settle, overflowed } = windowOf(10, 100);
  w.offer(500);
  assert.deepEqual(overflowed, []);
  assert.equal(w.pending, 1);
  w.offer(1);
  assert.deepEqual(overflowed, [[1, 'full']]);
  settle.shift()!();
  await w.idle();
  w.offer(60);
  let hasRoom = false;
  const room = w.room(60).then(() => (hasRoom = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(hasRoom, false);
  settle.shift()!();
  await room;
  assert.equal(hasRoom, true);
});

test('disconnected, every message overflows', () => {
  const { w, overflowed } = windowOf(10, 100);
  w.isConnected = false;
  w.offer(1);
  assert.deepEqual(overflowed, [[1, 'disconnected']]);
});
