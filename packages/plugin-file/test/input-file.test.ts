import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeRecords, GOR_SEPARATOR, RepriseError, type InputInstance, type Message } from '@reprise/core';
import { validatedOptions } from '@reprise/core/testing';
import { inputFile } from '../src/input-file.js';
import { drain, makeContext, request, tempDir, type TestPluginContext } from './context.js';

const FIXTURES = join(import.meta.dirname, '../../../test/fixtures/goreplay');
const T0 = 1795574173007755756n;
const MS = 1_000_000n;

async function open(
  path: string,
  options: Record<string, unknown>,
  ctx: TestPluginContext = makeContext('input-file'),
): Promise<InputInstance> {
  const input = (await inputFile.create(path, validatedOptions(inputFile, options), ctx)) as InputInstance;
  return input;
}

function isSorted(messages: Message[]): boolean {
  return messages.every((m, i) => i === 0 || messages[i - 1]!.timestamp <= m.timestamp);
}

test('records GoReplay wrote out of order come out in timestamp order', { timeout: 10_000 }, async () => {
  const path = join(FIXTURES, 'goreplay-requests.gor');
  const ctx = makeContext('input-file');
  const { messages } = await drain(await open(path, { noWait: true }, ctx));
  assert.equal(messages.length, 7);
  const inFile = (await readFile(path, 'latin1')).match(/^1 [0-9a-f]{24} \d+ 0$/gm)!.map((line) => BigInt(line.split(' ')[2]!));
  assert.ok(!inFile.every((ts, i) => i === 0 || inFile[i - 1]! <= ts), 'the fixture itself is out of order');
  assert.deepEqual(
    messages.map((m) => m.timestamp),
    [...inFile].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  assert.equal(ctx.counters.get('failed'), undefined);
});

test('requests and responses from a GoReplay file keep their kinds, ids and payloads', { timeout: 10_000 }, async () => {
  const { messages } = await drain(await open(join(FIXTURES, 'goreplay-with-responses.gor'), { noWait: true }));
  assert.equal(messages.length, 10);
  assert.ok(isSorted(messages));
  const responses = messages.filter((m) => m.kind === 'response');
  assert.equal(responses.length, 5);
  for (const response of responses) {
    const request = messages.find((m) => m.kind === 'request' && m.id === response.id)!;
    assert.ok(request.timestamp < response.timestamp, 'a response follows its request');
    assert.match(Buffer.from(response.payload).toString('latin1'), /^HTTP\/1\.1 \d{3} /);
  }
});

test('a corrupt header mid-file is logged with the file and byte offset, counted, and every other record is replayed', {
  timeout: 10_000,
}, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'corrupt.gor');
  const before = encodeRecords([request(1, T0), request(2, T0 + MS)]);
  const bad = Buffer.concat([Buffer.from('1 NOT-AN-ID 1795574173007755756 0\nGET / HTTP/1.1\r\n\r\n'), GOR_SEPARATOR]);
  const after = encodeRecords([request(3, T0 + 2n * MS), request(4, T0 + 3n * MS)]);
  await writeFile(path, Buffer.concat([before, bad, after]));
  const ctx = makeContext('input-file');
  const { messages } = await drain(await open(path, { noWait: true }, ctx));
  assert.deepEqual(
    messages.map((m) => m.id.slice(-1)),
    ['1', '2', '3', '4'],
  );
  const errors = ctx.logs.filter((l) => l.level === 'error');
  assert.equal(errors.length, 1);
  assert.ok(errors[0]!.message.includes(`${path} at byte ${before.length}`), errors[0]!.message);
  assert.equal(ctx.counters.get('failed'), 1);
  assert.equal(ctx.counters.get('corrupt'), 1);
});

test('a truncated last record is reported and the records before it are replayed', { timeout: 10_000 }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'truncated.gor');
  const whole = encodeRecords([request(1, T0), request(2, T0 + MS), request(3, T0 + 2n * MS)]);
  const goodBytes = encodeRecords([request(1, T0), request(2, T0 + MS)]).length;
  await writeFile(path, whole.subarray(0, whole.length - 10));
  const ctx = makeContext('input-file');
  const { messages } = await drain(await open(path, { noWait: true }, ctx));
  assert.deepEqual(
    messages.map((m) => m.id.slice(-1)),
    ['1', '2'],
  );
  const errors = ctx.logs.filter((l) => l.level === 'error');
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /truncated/);
  assert.ok(errors[0]!.message.includes(`${path} at byte ${goodBytes}`), errors[0]!.message);
  assert.equal(ctx.counters.get('corrupt'), 1);
});

test('a gzip file is read compressed', { timeout: 10_000 }, async (t) => {
  const dir = await tempDir(t);
  const original = await readFile(join(FIXTURES, 'goreplay-with-responses.gor'));
  await writeFile(join(dir, 'r.gor.gz'), gzipSync(original));
  const { messages } = await drain(await open(join(dir, 'r.gor.gz'), { noWait: true, readDepth: 0 }));
  // With no read-ahead, records come in file order: re-encoding gives the original bytes back.
  assert.deepEqual(encodeRecords(messages), original);
});

test('a damaged gzip file is reported as corrupt after the records it still holds', { timeout: 10_000 }, async (t) => {
  const dir = await tempDir(t);
  const records = Array.from({ length: 2000 }, (_, i) => request(i, T0 + BigInt(i) * MS));
  const zipped = gzipSync(encodeRecords(records));
  await writeFile(join(dir, 'cut.gor.gz'), zipped.subarray(0, Math.floor(zipped.length * 0.6)));
  const ctx = makeContext('input-file');
  const { messages } = await drain(await open(join(dir, 'cut.gor.gz'), { noWait: true }, ctx));
  assert.ok(messages.length > 0 && messages.length < records.length, `${messages.length} records`);
  assert.deepEqual(
    messages.map((m) => m.id),
    records.slice(0, messages.length).map((m) => m.id),
  );
  assert.ok((ctx.counters.get('corrupt') ?? 0) >= 1);
  assert.ok(ctx.logs.some((l) => l.level === 'error' && l.message.includes('cut.gor.gz')));
});

test('a glob merges several files in timestamp order', { timeout: 10_000 }, async (t) => {
  const dir = await tempDir(t);
  const odd = [1, 3, 5, 7].map((n) => request(n, T0 + BigInt(n) * MS));
  const even = [2, 4, 6, 8].map((n) => request(n, T0 + BigInt(n) * MS));
  await writeFile(join(dir, 'part-a.gor'), encodeRecords(odd));
  await writeFile(join(dir, 'part-b.gor.gz'), gzipSync(encodeRecords(even)));
  await writeFile(join(dir, 'other.gor'), encodeRecords([request(99, T0)]));
  const { messages } = await drain(await open(join(dir, 'part-?.gor*'), { noWait: true }));
  assert.deepEqual(
    messages.map((m) => Number.parseInt(m.id, 16)),
    [1, 2, 3, 4, 5, 6, 7, 8],
  );
});

test('a missing file or a glob matching nothing is RPR_INPUT_NOT_FOUND naming the path', { timeout: 10_000 }, async (t) => {
  const dir = await tempDir(t);
  for (const path of [join(dir, 'missing.gor'), join(dir, 'none-*.gor')]) {
    await assert.rejects(open(path, {}), (error: unknown) => {
      assert.ok(error instanceof RepriseError);
      assert.equal(error.code, 'RPR_INPUT_NOT_FOUND');
      assert.ok(error.message.includes(path), error.message);
      return true;
    });
  }
});

test('at 1000% the recorded gaps are replayed ten times faster', { timeout: 20_000 }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'paced.gor');
  // 21 records 150 ms apart: a recorded span of 3 s, so about 300 ms at 1000%.
  await writeFile(path, encodeRecords(Array.from({ length: 21 }, (_, i) => request(i, T0 + BigInt(i) * 150n * MS))));
  const ctx = makeContext('input-file', { kind: 'percent', value: 1000 });
  const { messages, times } = await drain(await open(path, {}, ctx));
  assert.equal(messages.length, 21);
  // Times count from before the replay started, and due times from its start: a message is never early
  // (2 ms allowed for the timers' millisecond clock),
  // whatever the load (a late one makes the next gap shorter, since due times are cumulative).
  const elapsedMs = times.at(-1)!;
  assert.ok(elapsedMs >= 298, `replayed in ${elapsedMs} ms: faster than the recording allows`);
  assert.ok(elapsedMs < 1_500, `replayed in ${elapsedMs} ms: much slower than span/10`);
  // Gaps are spread over the replay, not spent in one wait.
  assert.ok(times[10]! >= 148, `half-way after ${times[10]!} ms`);
});

test('max-wait caps a long recorded gap', { timeout: 20_000 }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'gap.gor');
  // A one-hour gap between two pairs of records 20 ms apart.
  const hour = 3_600_000n * MS;
  await writeFile(
    path,
    encodeRecords([request(1, T0), request(2, T0 + 20n * MS), request(3, T0 + hour), request(4, T0 + hour + 20n * MS)]),
  );
  const { messages, times } = await drain(await open(path, { maxWait: '100ms' }));
  assert.equal(messages.length, 4);
  // due at 0, 20, 120 and 140 ms from the start of the replay, which is after the start of the times
  assert.ok(times[1]! >= 18, `short gaps are still reproduced (the second after ${times[1]!} ms)`);
  assert.ok(times[2]! >= 118, `the hour was replayed as at least the cap (the third after ${times[2]!} ms)`);
  assert.ok(times[3]! < 2_000, `the hour was capped (the last after ${times[3]!} ms)`);
});

test('no-wait ignores the recorded gaps', { timeout: 20_000 }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'slow.gor');
  const hour = 3_600_000n * MS;
  await writeFile(path, encodeRecords([request(1, T0), request(2, T0 + hour), request(3, T0 + 2n * hour)]));
  const { messages, batches } = await drain(await open(path, { noWait: true }));
  assert.equal(messages.length, 3);
  assert.equal(batches, 1, 'records all due at once travel in one batch');
});

test('a per-second rate spaces the messages out', { timeout: 20_000 }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'burst.gor');
  await writeFile(path, encodeRecords(Array.from({ length: 11 }, (_, i) => request(i, T0))));
  const ctx = makeContext('input-file', { kind: 'per-second', value: 50 });
  const { messages, times } = await drain(await open(path, {}, ctx));
  assert.equal(messages.length, 11);
  const elapsedMs = times.at(-1)!;
  assert.ok(elapsedMs >= 198 && elapsedMs < 2_000, `10 intervals of 20 ms took ${elapsedMs} ms`);
});

test('loop starts again from the first record until stopped', { timeout: 20_000 }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'loop.gor');
  await writeFile(path, encodeRecords([request(1, T0), request(2, T0 + MS), request(3, T0 + 2n * MS)]));
  const ctx = makeContext('input-file');
  const input = await open(path, { loop: true, noWait: true }, ctx);
  const seen: number[] = [];
  for await (const batch of input.read()) {
    for (const m of batch) seen.push(Number.parseInt(m.id, 16));
    if (seen.length >= 10) ctx.controller.abort();
  }
  await input.close?.();
  assert.deepEqual(seen.slice(0, 9), [1, 2, 3, 1, 2, 3, 1, 2, 3]);
});

test('loop over a file without a single good record ends instead of spinning', { timeout: 10_000 }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'bad.gor');
  await writeFile(path, 'not a gor file at all');
  const ctx = makeContext('input-file');
  const { messages } = await drain(await open(path, { loop: true, noWait: true }, ctx));
  assert.equal(messages.length, 0);
  assert.equal(ctx.counters.get('corrupt'), 1);
});

test('aborting the signal ends a replay promptly, even mid-wait', { timeout: 10_000 }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'wait.gor');
  await writeFile(path, encodeRecords([request(1, T0), request(2, T0 + 3_600_000n * MS)]));
  const ctx = makeContext('input-file');
  const input = await open(path, {}, ctx);
  const seen: Message[] = [];
  const started = performance.now();
  for await (const batch of input.read()) {
    seen.push(...batch);
    setTimeout(() => ctx.controller.abort(), 50);
  }
  assert.equal(seen.length, 1);
  assert.ok(performance.now() - started < 5_000);
});

test('close() ends a replay waiting for its next record', { timeout: 10_000 }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'wait.gor');
  await writeFile(path, encodeRecords([request(1, T0), request(2, T0 + 3_600_000n * MS)]));
  const input = await open(path, {});
  const iterator = input.read()[Symbol.asyncIterator]();
  assert.equal((await iterator.next()).value?.length, 1);
  const pending = iterator.next();
  setTimeout(() => void input.close?.(), 50);
  assert.equal((await pending).done, true);
});

test('dry-run reports the record count and recorded duration without replaying', { timeout: 10_000 }, async () => {
  const ctx = makeContext('input-file');
  const { messages } = await drain(await open(join(FIXTURES, 'goreplay-requests.gor'), { dryRun: true }, ctx));
  assert.equal(messages.length, 0);
  // The fixture spans 1795574172963798125 .. 1795574173050073980 ns: 86.276 ms.
  const info = ctx.logs.find((l) => l.level === 'info' && l.message.startsWith('dry run'));
  assert.ok(info, JSON.stringify(ctx.logs));
  assert.match(info.message, /7 records in 1 file\(s\), recorded duration 86\.276ms/);
  assert.equal(ctx.counters.get('records'), 7);
});

test('a small read depth replays in file order while a large one sorts', { timeout: 10_000 }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'shuffled.gor');
  const order = [3, 1, 2, 6, 4, 5];
  await writeFile(path, encodeRecords(order.map((n) => request(n, T0 + BigInt(n) * MS))));
  const unsorted = await drain(await open(path, { noWait: true, readDepth: 0 }));
  assert.deepEqual(
    unsorted.messages.map((m) => Number.parseInt(m.id, 16)),
    order,
  );
  const sorted = await drain(await open(path, { noWait: true, readDepth: 2 }));
  assert.deepEqual(
    sorted.messages.map((m) => Number.parseInt(m.id, 16)),
    [1, 2, 3, 4, 5, 6],
  );
});

test('records are handed over in batches of at most 256', { timeout: 20_000 }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'many.gor');
  await writeFile(path, encodeRecords(Array.from({ length: 1000 }, (_, i) => request(i, T0 + BigInt(i)))));
  const input = await open(path, { noWait: true });
  const sizes: number[] = [];
  for await (const batch of input.read()) sizes.push(batch.length);
  assert.deepEqual(sizes, [256, 256, 256, 232]);
});

test('close() during a file read ends the replay without an error', { timeout: 10_000 }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'large.gor');
  await writeFile(path, encodeRecords(Array.from({ length: 20_000 }, (_, i) => request(i, T0 + BigInt(i)))));
  const ctx = makeContext('input-file');
  // A read depth above the record count: nothing is due before the whole file has been read.
  const input = await open(path, { noWait: true, readDepth: 1_000_000 }, ctx);
  const iterator = input.read()[Symbol.asyncIterator]();
  const first = iterator.next();
  await input.close!();
  assert.equal((await first).done, true);
  assert.deepEqual(
    ctx.logs.filter((l) => l.level === 'error'),
    [],
  );
});
