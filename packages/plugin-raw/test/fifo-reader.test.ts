import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { openSync, closeSync, writeSync, fstatSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { FifoReader } from '../src/fifo-reader.js';

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

test('a real named pipe: what is written before and after an idle spell arrives whole and in order', async () => {
  const reader = new FifoReader();
  const chunks: Buffer[] = [];
  try {
    reader.start((chunk) => chunks.push(chunk), 5);
    writeSync(reader.writeFd, 'first ');
    await sleep(300); // long enough for the polls to find the pipe empty and wait
    writeSync(reader.writeFd, 'second');
    for (let i = 0; i < 200; i++) writeSync(reader.writeFd, ` ${i}`);
    const expected = `first second${Array.from({ length: 200 }, (_, i) => ` ${i}`).join('')}`;
    await waitFor(() => Buffer.concat(chunks).length >= expected.length, 'every write');
    assert.equal(Buffer.concat(chunks).toString(), expected);
  } finally {
    reader.close();
  }
});

test('while nothing is written, the reader keeps no timer: it waits on the pipe and wakes for the next write', async () => {
  const reader = new FifoReader();
  const chunks: Buffer[] = [];
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  try {
    const before = timers();
    reader.start((chunk) => chunks.push(chunk), 5);
    assert.equal(timers(), before, 'started waiting, not polling');
    writeSync(reader.writeFd, 'burst');
    await waitFor(() => chunks.length > 0, 'the burst');
    // Then one poll, which finds the pipe empty and goes back to waiting.
    await waitFor(() => timers() === before, 'the reader to stop polling');
    await sleep(50);
    assert.equal(timers(), before, 'no poll is scheduled while the pipe stays empty');
    writeSync(reader.writeFd, ' again');
    await waitFor(() => Buffer.concat(chunks).toString() === 'burst again', 'the next write');
  } finally {
    reader.close();
  }
});

test('the end of the data while waiting: drain reports it, and close leaves other descriptors alone', async () => {
  const reader = new FifoReader();
  const chunks: Buffer[] = [];
  reader.start((chunk) => chunks.push(chunk), 5);
  writeSync(reader.writeFd, 'last words');
  await waitFor(() => chunks.length > 0, 'the last write');
  reader.releaseWriter(); // the only writer goes: the end of the data
  await sleep(50);
  assert.equal(reader.drain(), false);
  assert.equal(Buffer.concat(chunks).toString(), 'last words');
  // A descriptor opened now may reuse the pipe's number: closing the reader must not close it.
  const other = openSync(import.meta.filename, 'r');
  try {
    reader.close();
    assert.ok(fstatSync(other).isFile());
  } finally {
    closeSync(other);
  }
});

test('a worker that used a reader leaves other descriptors open when it exits (its options, after the watcher closed the pipe)', async () => {
  const built = pathToFileURL(fileURLToPath(new URL('../dist/fifo-reader.js', import.meta.url))).href;
  const { FIFO_READER_WORKER_OPTIONS } = (await import(built)) as typeof import('../src/fifo-reader.js');
  const source = `
    import { parentPort } from 'node:worker_threads';
    import { readdirSync } from 'node:fs';
    const { FifoReader } = await import(${JSON.stringify(built)});
    const open = () => new Set(readdirSync('/proc/self/fd'));
    const before = open();
    const reader = new FifoReader();
    reader.releaseWriter();
    const [fd] = [...open()].filter((n) => !before.has(n));
    reader.start(() => {}, 5); // no writer: the watcher sees the end of the data at once and closes the pipe
    while (open().has(fd)) await new Promise((r) => setTimeout(r, 5));
    parentPort.postMessage(Number(fd));
    parentPort.once('message', () => reader.close());
  `;
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`), FIFO_READER_WORKER_OPTIONS);
  const exited = once(worker, 'exit');
  const [closedFd] = (await once(worker, 'message')) as [number];
  // Take that descriptor number here: open files until one gets it (lower free numbers come first).
  const held: number[] = [];
  try {
    while (held.length === 0 || held.at(-1)! < closedFd) held.push(openSync(import.meta.filename, 'r'));
    assert.equal(held.at(-1), closedFd, 'this thread holds the number the pipe had');
    worker.postMessage('close');
    await exited;
    assert.equal(fstatSync(closedFd).ino, statSync(import.meta.filename).ino, 'still open, still this file');
  } finally {
    for (const fd of held) closeSync(fd);
  }
});
