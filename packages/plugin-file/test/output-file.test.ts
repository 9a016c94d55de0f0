import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GorDecoder, encodeRecords, type GorDecoded, type Message, type OutputInstance, type InputInstance } from '@reprise/core';
import { validatedOptions } from '@reprise/core/testing';
import { outputFile } from '../src/output-file.js';
import { inputFile } from '../src/input-file.js';
import { formatTimePattern, rotatedPath } from '../src/file-naming.js';
import { drain, makeContext, request, tempDir } from './context.js';

const FIXTURES = join(import.meta.dirname, '../../../test/fixtures/goreplay');
const T0 = 1795574173007755756n;
const MS = 1_000_000n;

async function create(path: string, options: Record<string, unknown> = {}): Promise<OutputInstance> {
  const output = (await outputFile.create(path, validatedOptions(outputFile, options), makeContext('output-file'))) as OutputInstance;
  return output;
}

function decode(bytes: Uint8Array): GorDecoded[] {
  const decoder = new GorDecoder();
  return decoder.end(decoder.push(bytes));
}

function messagesOf(bytes: Uint8Array): Message[] {
  const decoded = decode(bytes);
  assert.ok(
    decoded.every((d) => d.type === 'record'),
    'every record is whole',
  );
  return decoded.map((d) => (d as Extract<GorDecoded, { type: 'record' }>).message);
}

const batchOf = (from: number, count: number) => Array.from({ length: count }, (_, i) => request(from + i, T0 + BigInt(from + i) * MS));

for (const name of ['goreplay-requests.gor', 'goreplay-with-responses.gor']) {
  test(`replaying ${name} in file order into output-file gives the same bytes`, { timeout: 10_000 }, async (t) => {
    const dir = await tempDir(t);
    const ctx = makeContext('input-file');
    const input = (await inputFile.create(
      join(FIXTURES, name),
      validatedOptions(inputFile, { noWait: true, readDepth: 0 }),
      ctx,
    )) as InputInstance;
    const output = await create(join(dir, 'copy.gor'));
    for await (const batch of input.read()) await output.write(batch);
    await output.flush!();
    await output.close!();
    assert.deepEqual(await readFile(join(dir, 'copy.gor')), await readFile(join(FIXTURES, name)));
  });
}

test('the path given is the path written, and an existing file is truncated at start', { timeout: 10_000 }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'requests.gor');
  await writeFile(path, 'old content that must go');
  const output = await create(path);
  assert.equal((await stat(path)).size, 0, 'truncated when recording starts');
  await output.write(batchOf(1, 3));
  await output.close!();
  assert.deepEqual(await readdir(dir), ['requests.gor']);
  assert.deepEqual(await readFile(path), encodeRecords(batchOf(1, 3)));
});

test('append keeps what the file already holds', { timeout: 10_000 }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'requests.gor');
  await writeFile(path, encodeRecords(batchOf(1, 2)));
  const output = await create(path, { append: true });
  await output.write(batchOf(3, 2));
  await output.close!();
  assert.deepEqual(await readFile(path), encodeRecords(batchOf(1, 4)));
});

test('every message kind is written', { timeout: 10_000 }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'kinds.gor');
  const id = 'aaaaaaaaaaaaaaaaaaaaaaaa';
  const messages: Message[] = [
    { kind: 'request', id, timestamp: T0, latency: 0n, payload: Buffer.from('GET / HTTP/1.1\r\n\r\n') },
    { kind: 'response', id, timestamp: T0 + MS, latency: 5n, payload: Buffer.from('HTTP/1.1 200 OK\r\n\r\n') },
    {
      kind: 'replayed-response',
      id,
      timestamp: T0 + 2n * MS,
      latency: 7n,
      payload: Buffer.from('HTTP/1.1 201 Created\r\n\r\n'),
      meta: { target: 'x' },
    },
  ];
  const output = await create(path);
  await output.write(messages);
  await output.close!();
  const text = await readFile(path, 'latin1');
  assert.deepEqual(text.match(/^[123] a{24} \d+ \d+$/gm), [`1 ${id} ${T0} 0`, `2 ${id} ${T0 + MS} 5`, `3 ${id} ${T0 + 2n * MS} 7`]);
  assert.ok(!text.includes('target'), 'meta is never written');
});

test('flush puts every whole record on disk before it resolves', { timeout: 10_000 }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'flush.gor');
  const output = await create(path, { flushInterval: '1h' });
  await output.write(batchOf(1, 100));
  assert.equal((await stat(path)).size, 0, 'buffered, not yet written');
  await output.flush!();
  assert.equal(messagesOf(await readFile(path)).length, 100);
  await output.write(batchOf(101, 1));
  await output.flush!();
  assert.equal(messagesOf(await readFile(path)).length, 101);
  await output.close!();
});

test('buffered records reach the file after the flush interval without a flush call', { timeout: 10_000 }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'interval.gor');
  const output = await create(path, { flushInterval: '50ms' });
  t.after(() => output.close!());
  await output.write(batchOf(1, 5));
  const deadline = Date.now() + 5_000;
  while ((await stat(path)).size === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(messagesOf(await readFile(path)).length, 5);
});

test('a filled buffer chunk is written at once, before the flush interval, as whole records', { timeout: 10_000 }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'early.gor');
  const output = await create(path, { flushInterval: '1h' });
  t.after(() => output.close!());
  await output.write(batchOf(1, 100)); // less than a 256 KiB chunk: stays buffered
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await stat(path)).size, 0);
  const big = batchOf(101, 5000); // more than a chunk: fills one, which is written
  assert.ok(encodeRecords(big).length > 256 * 1024);
  await output.write(big);
  // the chunk's write may still be under way when the file is first seen non-empty: wait for it to settle
  const deadline = Date.now() + 5_000;
  let onDisk = decode(await readFile(path));
  while ((onDisk.length === 0 || onDisk.some((d) => d.type !== 'record')) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    onDisk = decode(await readFile(path));
  }
  assert.ok(onDisk.length > 100, `whole records on disk without a flush call (${onDisk.length})`);
  assert.ok(
    onDisk.every((d) => d.type === 'record'),
    'every record is whole',
  );
  await output.flush!();
  assert.deepEqual(await readFile(path), encodeRecords([...batchOf(1, 100), ...big]));
});

test('a .gz name is written gzip-compressed and read back by input-file', { timeout: 10_000 }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'requests.gor.gz');
  const output = await create(path);
  await output.write(batchOf(1, 50));
  await output.flush!(); // one gzip member
  await output.write(batchOf(51, 50));
  await output.close!(); // a second member, with its trailer
  const plain = encodeRecords(batchOf(1, 100));
  assert.deepEqual(gunzipSync(await readFile(path)), plain);
  const { messages } = await drain(
    (await inputFile.create(path, validatedOptions(inputFile, { noWait: true }), makeContext('input-file'))) as InputInstance,
  );
  assert.deepEqual(encodeRecords(messages), plain);
});

test('close is idempotent and a write after it is refused', { timeout: 10_000 }, async (t) => {
  const dir = await tempDir(t);
  const output = await create(join(dir, 'x.gor'));
  await output.write(batchOf(1, 1));
  await Promise.all([output.close!(), output.close!()]);
  await output.close!();
  assert.throws(() => output.write(batchOf(2, 1)));
  assert.equal(messagesOf(await readFile(join(dir, 'x.gor'))).length, 1);
});

test('a size limit starts numbered files, never splitting a record', { timeout: 10_000 }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'requests.gor');
  const recordBytes = encodeRecords(batchOf(1, 1)).length;
  // Room for two records per file (plus a little).
  const output = await create(path, { sizeLimit: String(recordBytes * 2 + 10) });
  await output.write(batchOf(1, 3));
  await output.write(batchOf(4, 4));
  await output.close!();
  assert.deepEqual((await readdir(dir)).sort(), ['requests.1.gor', 'requests.2.gor', 'requests.3.gor', 'requests.gor']);
  const ids: string[] = [];
  for (const name of ['requests.gor', 'requests.1.gor', 'requests.2.gor', 'requests.3.gor']) {
    const bytes = await readFile(join(dir, name));
    assert.ok(bytes.length <= recordBytes * 2 + 10, `${name} holds ${bytes.length} bytes`);
    ids.push(...messagesOf(bytes).map((m) => m.id));
  }
  assert.deepEqual(
    ids,
    batchOf(1, 7).map((m) => m.id),
  );
});

test('a record larger than the size limit gets a file of its own', { timeout: 10_000 }, async (t) => {
  const dir = await tempDir(t);
  const output = await create(join(dir, 'big.gor.gz'), { sizeLimit: '100' });
  await output.write([request(1, T0, 'x'.repeat(500)), request(2, T0, 'y'.repeat(500))]);
  await output.close!();
  assert.deepEqual((await readdir(dir)).sort(), ['big.1.gor.gz', 'big.gor.gz']);
  assert.equal(messagesOf(gunzipSync(await readFile(join(dir, 'big.1.gor.gz'))))[0]!.payload.length, 500);
});

test('a time pattern in the name starts a new file when the formatted name changes', { timeout: 15_000 }, async (t) => {
  const dir = await tempDir(t);
  const output = await create(join(dir, 'req-%Y%m%d-%H%M%S.gor'));
  const firstSecond = Math.floor(Date.now() / 1000);
  await output.write(batchOf(1, 2));
  // Wait for the wall clock to enter the next second.
  while (Math.floor(Date.now() / 1000) === firstSecond) await new Promise((r) => setTimeout(r, 20));
  await output.write(batchOf(3, 2));
  await output.close!();
  const names = (await readdir(dir)).sort();
  assert.equal(names.length, 2, names.join(', '));
  for (const name of names) assert.match(name, /^req-\d{8}-\d{6}\.gor$/);
  assert.equal(names[0], `req-${formatTimePattern('%Y%m%d-%H%M%S', new Date(firstSecond * 1000))}.gor`);
  assert.deepEqual(
    messagesOf(await readFile(join(dir, names[0]!))).map((m) => m.id),
    batchOf(1, 2).map((m) => m.id),
  );
  assert.deepEqual(
    messagesOf(await readFile(join(dir, names[1]!))).map((m) => m.id),
    batchOf(3, 2).map((m) => m.id),
  );
});

test('time patterns use local time and rotated names keep the .gor and .gz suffixes', { timeout: 5_000 }, () => {
  const date = new Date(2026, 0, 2, 3, 4, 5); // local time
  assert.equal(formatTimePattern('logs/%Y/%m/%d/r-%H-%M-%S.gor', date), 'logs/2026/01/02/r-03-04-05.gor');
  assert.equal(formatTimePattern('100%.gor', date), '100%.gor');
  assert.equal(rotatedPath('dir.v2/requests.gor', 0), 'dir.v2/requests.gor');
  assert.equal(rotatedPath('dir.v2/requests.gor', 1), 'dir.v2/requests.1.gor');
  assert.equal(rotatedPath('requests.gor.gz', 2), 'requests.2.gor.gz');
  assert.equal(rotatedPath('requests.gz', 3), 'requests.3.gz');
  assert.equal(rotatedPath('dir.v2/requests', 4), 'dir.v2/requests.4');
  assert.equal(rotatedPath('requests.log', 5), 'requests.5.log');
});

test('missing directories in the path are created', { timeout: 10_000 }, async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'a', 'b', 'requests.gor');
  const output = await create(path);
  await output.write(batchOf(1, 1));
  await output.close!();
  assert.equal(messagesOf(await readFile(path)).length, 1);
});

test('a directory that cannot be made is an error from create that names the file and the directory', { timeout: 10_000 }, async () => {
  // Under /proc no directory can be made; Node's recursive mkdir spun there forever.
  await assert.rejects(create('/proc/reprise-no-such-dir/sub/requests.gor'), (error: Error) => {
    assert.match(error.message, /cannot open \/proc\/reprise-no-such-dir\/sub\/requests\.gor: ENOENT.*mkdir '\/proc\/reprise-no-such-dir'/);
    return true;
  });
});

test('max-size-limit stops recording before the records, across rotated files, would pass it; the rest is counted', {
  timeout: 10_000,
}, async (t) => {
  const dir = await tempDir(t);
  const records = batchOf(1, 20);
  const recordBytes = encodeRecords(records.slice(0, 1)).length;
  const ctx = makeContext('output-file');
  const output = (await outputFile.create(
    join(dir, 'capped.gor'),
    validatedOptions(outputFile, { sizeLimit: String(recordBytes * 4), maxSizeLimit: String(recordBytes * 10 + 5) }),
    ctx,
  )) as OutputInstance;
  await output.write(records.slice(0, 7));
  await output.write(records.slice(7));
  await output.close!();
  const files = (await readdir(dir)).sort();
  const written = (await Promise.all(files.map((f) => readFile(join(dir, f))))).flatMap((b) => messagesOf(b));
  assert.equal(written.length, 10, 'ten whole records fit, the eleventh would pass the limit');
  assert.deepEqual(
    written.map((m) => m.id).sort(),
    records
      .slice(0, 10)
      .map((m) => m.id)
      .sort(),
  );
  assert.equal(files.length, 3, 'size rotation still applies under the total limit');
  assert.equal(ctx.counters.get('skipped-size-limit'), 10);
  assert.equal(ctx.logs.filter((l) => /max-size-limit .* reached/.test(l.message)).length, 1, 'said once');
});
