import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { FifoReader, nextPollDelay } from '../src/fifo-reader.js';

test('polls back off while nothing comes, doubling up to the idle interval, and return to the shortest on data', () => {
  const delays = [5];
  for (let i = 0; i < 5; i++) delays.push(nextPollDelay(delays.at(-1)!, false, 5, 40));
  assert.deepEqual(delays, [5, 10, 20, 40, 40, 40]);
  assert.equal(nextPollDelay(40, true, 5, 40), 5);
  // No backing off when both intervals are the same (immediate mode).
  assert.equal(nextPollDelay(5, false, 5, 5), 5);
});

test('a real named pipe: what is written before and after an idle spell arrives whole and in order', async () => {
  const reader = new FifoReader();
  const chunks: Buffer[] = [];
  try {
    reader.start((chunk) => chunks.push(chunk), 5, 40);
    writeSync(reader.writeFd, 'first ');
    await sleep(300); // long enough for the polls to back off to the idle interval
    writeSync(reader.writeFd, 'second');
    const deadline = Date.now() + 2000;
    while (Buffer.concat(chunks).length < 12 && Date.now() < deadline) await sleep(5);
    assert.equal(Buffer.concat(chunks).toString(), 'first second');
  } finally {
    reader.close();
  }
});
