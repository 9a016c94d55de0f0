import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withDeadline } from '../src/deadline.js';

test('work that comes in time is returned, work that does not fails with the given error', async () => {
  assert.equal(await withDeadline(Promise.resolve(7), 1000, () => new Error('late')), 7);
  await assert.rejects(
    withDeadline(Promise.reject(new Error('own failure')), 1000, () => new Error('late')),
    /own failure/,
  );
  let isTimedOut = false;
  const never = new Promise<number>(() => undefined);
  await assert.rejects(
    withDeadline(never, 20, () => {
      isTimedOut = true;
      return new Error('no answer within 20 ms');
    }),
    /no answer within 20 ms/,
  );
  assert.ok(isTimedOut);
});

test('work that fails after its deadline is no unhandled rejection', async () => {
  const late = new Promise<number>((_, reject) => setTimeout(() => reject(new Error('too late')), 30));
  await assert.rejects(
    withDeadline(late, 5, () => new Error('deadline')),
    /deadline/,
  );
  await new Promise((r) => setTimeout(r, 60)); // the test runner fails the test on an unhandled rejection
});
