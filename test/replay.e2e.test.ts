import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { recordingServer, runCli, goreplayFixtures, startCli, tempDir, waitFor } from './support/cli.js';
import { getRequests, rawRecords, summaryCounters, writeGor } from './support/gor.js';

const requestsFixture = join(goreplayFixtures, 'goreplay-requests.gor');
const responsesFixture = join(goreplayFixtures, 'goreplay-with-responses.gor');

/** The fixture's records as GoReplay wrote them: header line, raw HTTP. */
function fixtureRequests(path: string) {
  return rawRecords(path)
    .filter((r) => r.startsWith('1 '))
    .map((r) => {
      const newline = r.indexOf('\n');
      const [, id, ts] = r.slice(0, newline).split(' ');
      return { id: id!, timestamp: BigInt(ts!), http: Buffer.from(r.slice(newline + 1), 'latin1') };
    });
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', pos);
    const size = parseInt(body.subarray(pos, lineEnd).toString(), 16);
    if (size === 0) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    pos = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

test("GoReplay's own recording replays in timestamp order with methods, paths, headers and bodies intact", async (t) => {
  const target = await recordingServer(t);
  const result = await runCli(['--input-file', requestsFixture, '--input-file-no-wait', '--output-http', target.url]);
  assert.equal(result.code, 0, result.stderr);
  const recorded = fixtureRequests(requestsFixture).sort((a, b) => (a.timestamp < b.timestamp ? -1 : 1));
  assert.equal(target.received.length, 7);
  assert.deepEqual(
    target.received.map((r) => `${r.method} ${r.url}`),
    recorded.map((r) => r.http.toString('latin1').split(' ', 2).join(' ')),
  );
  for (const [i, request] of target.received.entries()) {
    const http = recorded[i]!.http;
    const headEnd = http.indexOf('\r\n\r\n');
    const head = http.subarray(0, headEnd).toString('latin1');
    const recordedBody = http.subarray(headEnd + 4);
    assert.equal(request.headers['user-agent'], 'curl/7.88.1');
    const expectedBody = /transfer-encoding: chunked/i.test(head) ? dechunk(recordedBody) : recordedBody;
    assert.equal(request.body.length, expectedBody.length, `${request.method} ${request.url} body length`);
    assert.ok(request.body.equals(expectedBody), `${request.method} ${request.url} body bytes`);
  }
  const upload = target.received.find((r) => r.url === '/upload')!;
  assert.equal(upload.body.length, 13_893);
  assert.equal(target.received.find((r) => r.url === '/api/items')!.body.length, 19);
});

test('every output gets every message: two targets both receive everything', async (t) => {
  const a = await recordingServer(t);
  const b = await recordingServer(t);
  const result = await runCli(['--input-file', requestsFixture, '--input-file-no-wait', '--output-http', a.url, '--output-http', b.url]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(a.received.length, 7);
  assert.equal(b.received.length, 7);
});

test('--split-output deals requests round-robin between targets', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'many.gor');
  writeGor(file, getRequests(100));
  const a = await recordingServer(t);
  const b = await recordingServer(t);
  const result = await runCli([
    '--input-file',
    file,
    '--input-file-no-wait',
    '--output-http',
    a.url,
    '--output-http',
    b.url,
    '--split-output',
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(a.received.length, 50);
  assert.equal(b.received.length, 50);
  assert.equal(new Set([...a.received, ...b.received].map((r) => r.url)).size, 100);
});

test('"|50%" on an output sends about half the requests', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'many.gor');
  writeGor(file, getRequests(2000));
  const target = await recordingServer(t);
  const result = await runCli(['--input-file', file, '--input-file-no-wait', '--output-http', `${target.url}|50%`]);
  assert.equal(result.code, 0, result.stderr);
  // Binomial(2000, 0.5): standard deviation about 22; ±150 is about 7 of them.
  assert.ok(Math.abs(target.received.length - 1000) < 150, `received ${target.received.length}`);
  assert.equal(summaryCounters(result.stderr, 'output-http')['rate-limited'], 2000 - target.received.length);
});

test('"|N" on an output passes at most N requests per second', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'many.gor');
  writeGor(file, getRequests(600, { gapMs: 2 })); // 1.2 s of recorded traffic
  const target = await recordingServer(t);
  const result = await runCli(['--input-file', file, '--output-http', `${target.url}|100`]);
  assert.equal(result.code, 0, result.stderr);
  // A window opens at the first request after the last one closed, so k windows take at least (k − 1) s
  // between the first and last request passed: 1.2 s of traffic is two windows (at most 200 of 600), more
  // only if a busy machine stretched the replay. 100 ms allowed for the requests' delivery.
  const received = target.received.length;
  const spanMs = target.received.at(-1)!.atMs - target.received[0]!.atMs;
  const windows = Math.floor((spanMs + 100) / 1000) + 1;
  assert.ok(received >= 100 && received <= 100 * windows && received < 600, `received ${received} in ${spanMs} ms`);
  for (let i = 100; i < target.received.length; i++) {
    assert.ok(target.received[i]!.atMs - target.received[i - 100]!.atMs > 500, 'no more than 100 within a second');
  }
});

test('"|1000%" on a file replays ten times faster than recorded, keeping the gaps in proportion', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'paced.gor');
  writeGor(file, getRequests(21, { gapMs: 150 })); // 3 s recorded
  const target = await recordingServer(t);
  const result = await runCli(['--input-file', `${file}|1000%`, '--output-http', target.url]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(target.received.length, 21);
  // The median gap, not the whole span: one late request on a busy machine must not decide the speed.
  // 150 ms recorded gaps at 10x are 15 ms; at 1x they would be 150, collapsed they would be ~0.
  const gaps = target.received.slice(1).map((r, i) => r.atMs - target.received[i]!.atMs);
  const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)]!;
  assert.ok(median >= 10 && median <= 60, `expected gaps of about 15 ms, median ${median} ms: ${gaps.join(',')}`);
  assert.ok(gaps.filter((g) => g >= 5).length >= 15, `gaps are kept, not collapsed: ${gaps.join(',')}`);
});

test('a file read and written back keeps every GoReplay record byte for byte, also gzipped', async (t) => {
  const dir = tempDir(t);
  for (const fixture of [requestsFixture, responsesFixture]) {
    const out = join(dir, 'copy.gor');
    const result = await runCli(['--input-file', fixture, '--input-file-no-wait', '--output-file', out]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(rawRecords(out).sort(), rawRecords(fixture).sort());
    const gz = join(dir, 'copy.gor.gz');
    assert.equal((await runCli(['--input-file', fixture, '--input-file-no-wait', '--output-file', gz])).code, 0);
    const unzipped = join(dir, 'unzipped.gor');
    writeFileSync(unzipped, gunzipSync(readFileSync(gz)));
    assert.deepEqual(rawRecords(unzipped).sort(), rawRecords(fixture).sort());
    const again = join(dir, 'again.gor');
    assert.equal((await runCli(['--input-file', gz, '--input-file-no-wait', '--output-file', again])).code, 0);
    assert.deepEqual(rawRecords(again), rawRecords(out), 'a .gz file replays the same records in the same order');
  }
});

test('replayed responses are recorded as type 3 records with the request id and a latency', async (t) => {
  const dir = tempDir(t);
  const target = await recordingServer(t, () => ({ status: 201, body: 'created' }));
  const out = join(dir, 'with-replayed.gor');
  const result = await runCli([
    '--input-file',
    requestsFixture,
    '--input-file-no-wait',
    '--output-http',
    target.url,
    '--output-http-track-response',
    '--output-file',
    out,
  ]);
  assert.equal(result.code, 0, result.stderr);
  const records = rawRecords(out);
  const requests = records.filter((r) => r.startsWith('1 '));
  const replayed = records.filter((r) => r.startsWith('3 '));
  assert.equal(requests.length, 7);
  assert.equal(replayed.length, 7);
  const requestIds = new Set(requests.map((r) => r.split(' ')[1]));
  for (const record of replayed) {
    const [header, statusLine] = record.split('\n');
    const [, id, , latency] = header!.split(' ');
    assert.ok(requestIds.has(id), 'same id as its request');
    assert.ok(Number(latency) > 0, 'latency recorded');
    assert.match(statusLine!, /^HTTP\/1\.1 201/);
  }
});

test('a target that is down is counted as failures while the other outputs get everything', async (t) => {
  const dir = tempDir(t);
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as { port: number }).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const out = join(dir, 'still.gor');
  const result = await runCli([
    '--input-file',
    requestsFixture,
    '--input-file-no-wait',
    '--output-http',
    `http://127.0.0.1:${port}`,
    '--output-file',
    out,
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(summaryCounters(result.stderr, 'output-http').failed, 7);
  assert.equal(rawRecords(out).length, 7);
});

test('SIGTERM mid-replay stops reading and delivers every request that was read', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'long.gor');
  writeGor(file, getRequests(3000, { gapMs: 2 })); // 6 s recorded
  const target = await recordingServer(t);
  const out = join(dir, 'partial.gor');
  const cli = startCli(['--input-file', file, '--output-http', target.url, '--output-file', out]);
  await waitFor(() => target.received.length >= 200, 10_000, '200 requests at the target');
  cli.child.kill('SIGTERM');
  const result = await cli.done;
  assert.equal(result.code, 0, result.stderr);
  const read = summaryCounters(result.stderr, 'input-file').out;
  assert.ok(read > 0 && read < 3000, `read ${read}`);
  assert.equal(target.received.length, read, 'every request read reached the target');
  assert.equal(rawRecords(out).length, read, 'every request read was written, as whole records');
  assert.match(result.stderr, /stopped \(signal\)/);
});

test('a corrupt record is reported with the file and byte offset, and every good record around it is replayed', async (t) => {
  const dir = tempDir(t);
  const good = getRequests(5);
  const file = join(dir, 'corrupt.gor');
  writeGor(file, good);
  const bytes = readFileSync(file);
  const recordLength = bytes.length / 5;
  const corruptAt = recordLength * 2; // the third record's header line
  bytes.write('X', corruptAt, 'latin1');
  writeFileSync(file, Buffer.concat([bytes, Buffer.from('1 ' + 'f'.repeat(24) + ' 1795574173999000000 0\nGET /trunc')]));
  const target = await recordingServer(t);
  const result = await runCli(['--input-file', file, '--input-file-no-wait', '--output-http', target.url]);
  assert.match(result.stderr, new RegExp(`corrupt\\.gor.*(byte|offset) ${corruptAt}`));
  assert.match(result.stderr, new RegExp(`corrupt\\.gor.*(byte|offset) ${bytes.length}`), 'the truncated last record is reported too');
  assert.deepEqual(
    target.received.map((r) => r.url),
    ['/item/0', '/item/1', '/item/3', '/item/4'],
  );
  assert.equal(summaryCounters(result.stderr, 'input-file').failed, 2);
});
