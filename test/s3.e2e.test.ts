// End to end through the built CLI against a real S3-compatible server (s3rver on 127.0.0.1, as localhost), reached
// the SDK's standard way: AWS_ENDPOINT_URL_S3, AWS_REGION and credentials in the environment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { encodeRecords, type Message } from '@reprise/core';
import { repoRoot, runCli, tempDir } from './support/cli.js';
import { getRequests, readRecords, writeGor } from './support/gor.js';
import { startS3 } from './support/s3-server.js';

/** Requests with bodies big enough that the whole recording needs a multipart upload (parts of 5 MiB). */
function postRequests(count: number, startNs: bigint): Message[] {
  const body = 'x'.repeat(2000);
  return Array.from({ length: count }, (_, i) => ({
    kind: 'request' as const,
    id: (0x200000 + i).toString(16).padStart(24, '0'),
    timestamp: startNs + BigInt(i) * 1_000_000n,
    latency: 0n,
    payload: Buffer.from(`POST /upload/${i} HTTP/1.1\r\nHost: recorded\r\nContent-Length: ${body.length}\r\n\r\n${body}`),
  }));
}

test('--output-file s3://… uploads the recording (multipart) and --input-file s3://… replays it byte for byte', {
  timeout: 90_000,
}, async (t) => {
  const s3 = await startS3(t, ['recordings']);
  const dir = tempDir(t);
  const messages = postRequests(4000, 1_795_574_173_000_000_000n);
  const expected = encodeRecords(messages);
  assert.ok(expected.length > 6 * 1024 * 1024, 'the recording spans more than one 5 MiB part');
  writeGor(join(dir, 'in.gor'), messages);

  const upload = await runCli(
    ['--input-file', join(dir, 'in.gor'), '--input-file-no-wait', '--output-file', 's3://recordings/runs/today/requests.gor'],
    { env: s3.env },
  );
  assert.equal(upload.code, 0, upload.stderr);
  assert.deepEqual(await s3.keys('recordings'), ['runs/today/requests.gor']);
  // Proof of a multipart upload: s3rver's ETags carry no `-N` part count, so look at the requests it got:
  // create, the parts (sent concurrently, so in any order), complete; no single PutObject.
  const writes = s3.requests
    .filter((r) => /^(PUT|POST) \/recordings\/runs\/today\/requests\.gor(\?|$)/.test(r))
    .map((r) => {
      const [method, path] = r.split(' ') as [string, string];
      const query = new URL(path, 'http://s3').searchParams;
      return `${method} ${query.has('uploads') ? 'create' : query.has('partNumber') ? `part ${query.get('partNumber')}` : query.has('uploadId') ? 'complete' : 'object'}`;
    });
  const partCount = Math.ceil(expected.length / (5 * 1024 * 1024));
  assert.deepEqual(
    [writes[0], ...writes.slice(1, -1).sort(), writes.at(-1)],
    ['POST create', ...Array.from({ length: partCount }, (_, i) => `PUT part ${i + 1}`).sort(), 'POST complete'],
  );
  assert.ok((await s3.get('recordings', 'runs/today/requests.gor')).equals(expected), 'the object holds exactly the records');
  assert.ok(!existsSync(join(repoRoot, 's3:')), 'no local folder named s3: is created (the bug this replaces)');

  const download = await runCli(
    ['--input-file', 's3://recordings/runs/today/requests.gor', '--input-file-no-wait', '--output-file', join(dir, 'copy.gor')],
    { env: s3.env },
  );
  assert.equal(download.code, 0, download.stderr);
  assert.ok(readFileSync(join(dir, 'copy.gor')).equals(expected));
});

test('a .gz S3 object is written gzip-compressed and read back; size-limited files rotate to numbered keys', {
  timeout: 90_000,
}, async (t) => {
  const s3 = await startS3(t, ['recordings']);
  const dir = tempDir(t);
  const messages = getRequests(500);
  writeGor(join(dir, 'in.gor'), messages);

  const gz = await runCli(
    ['--input-file', join(dir, 'in.gor'), '--input-file-no-wait', '--output-file', 's3://recordings/requests.gor.gz'],
    { env: s3.env },
  );
  assert.equal(gz.code, 0, gz.stderr);
  const object = await s3.get('recordings', 'requests.gor.gz');
  assert.equal(object[0], 0x1f, 'gzip magic');
  assert.ok(gunzipSync(object).equals(encodeRecords(messages)));

  const back = await runCli(
    ['--input-file', 's3://recordings/requests.gor.gz', '--input-file-no-wait', '--output-file', join(dir, 'back.gor')],
    { env: s3.env },
  );
  assert.equal(back.code, 0, back.stderr);
  assert.ok(readFileSync(join(dir, 'back.gor')).equals(encodeRecords(messages)));

  const recordBytes = encodeRecords(messages.slice(0, 1)).length;
  const rotated = await runCli(
    [
      '--input-file',
      join(dir, 'in.gor'),
      '--input-file-no-wait',
      '--output-file',
      's3://recordings/rotated/r.gor',
      '--output-file-size-limit',
      String(recordBytes * 200),
    ],
    { env: s3.env },
  );
  assert.equal(rotated.code, 0, rotated.stderr);
  const keys = (await s3.keys('recordings')).filter((k) => k.startsWith('rotated/'));
  assert.deepEqual(keys, ['rotated/r.1.gor', 'rotated/r.2.gor', 'rotated/r.gor']);
  const joined = Buffer.concat(
    await Promise.all(['rotated/r.gor', 'rotated/r.1.gor', 'rotated/r.2.gor'].map((k) => s3.get('recordings', k))),
  );
  assert.ok(joined.equals(encodeRecords(messages)));
});

test('--input-file s3://bucket/glob merges the matching objects of several prefixes in timestamp order', { timeout: 90_000 }, async (t) => {
  const s3 = await startS3(t, ['logs']);
  const dir = tempDir(t);
  const all = getRequests(30, { path: (i) => `/g/${i}` });
  // Interleaved in time across objects; one gzip, one plain; and objects the glob must not pick.
  await s3.put('logs', 'app/2026-01/a.gor', encodeRecords(all.filter((_, i) => i % 3 === 0)));
  await s3.put('logs', 'app/2026-02/b.gor.gz', gzipSync(encodeRecords(all.filter((_, i) => i % 3 === 1))));
  await s3.put('logs', 'app/2026-03/c.gor', encodeRecords(all.filter((_, i) => i % 3 === 2)));
  await s3.put('logs', 'app/2025-12/old.gor', encodeRecords(getRequests(5, { path: () => '/old' })));
  await s3.put('logs', 'app/2026-01/notes.txt', Buffer.from('not a recording'));

  const result = await runCli(
    ['--input-file', 's3://logs/app/2026-*/*.gor*', '--input-file-no-wait', '--output-file', join(dir, 'merged.gor')],
    { env: s3.env },
  );
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(
    readRecords(join(dir, 'merged.gor')).map((r) => r.payload.split(' ')[1]),
    all.map((_, i) => `/g/${i}`),
  );

  const nested = await runCli(['--input-file', 's3://logs/**/old.gor', '--input-file-no-wait', '--output-file', join(dir, 'old.gor')], {
    env: s3.env,
  });
  assert.equal(nested.code, 0, nested.stderr);
  assert.equal(readRecords(join(dir, 'old.gor')).length, 5);
});

test('--input-file s3://bucket/prefix without a wildcard reads every key starting with it, as GoReplay does', {
  timeout: 90_000,
}, async (t) => {
  // GoReplay lists a plain key as a prefix (`s3://logs/2016-05`); this used to exit 4 "no file matches".
  const s3 = await startS3(t, ['logs']);
  const dir = tempDir(t);
  const all = getRequests(12, { path: (i) => `/p/${i}` });
  await s3.put('logs', '2016-05-01.gor', encodeRecords(all.filter((_, i) => i % 3 === 0)));
  await s3.put('logs', '2016-05-02.gor.gz', gzipSync(encodeRecords(all.filter((_, i) => i % 3 === 1))));
  await s3.put('logs', '2016-05/late.gor', encodeRecords(all.filter((_, i) => i % 3 === 2)));
  await s3.put('logs', '2016-04-30.gor', encodeRecords(getRequests(2, { path: () => '/april' })));
  await s3.put('logs', '2016-06-01.gor', encodeRecords(getRequests(2, { path: () => '/june' })));

  const prefix = await runCli(['--input-file', 's3://logs/2016-05', '--input-file-no-wait', '--output-file', join(dir, 'may.gor')], {
    env: s3.env,
  });
  assert.equal(prefix.code, 0, prefix.stderr);
  assert.deepEqual(
    readRecords(join(dir, 'may.gor')).map((r) => r.payload.split(' ')[1]),
    all.map((_, i) => `/p/${i}`),
  );

  // A key that names an object reads that object only, though other keys start with it.
  const exact = await runCli(['--input-file', 's3://logs/2016-05-01.gor', '--input-file-no-wait', '--output-file', join(dir, 'one.gor')], {
    env: s3.env,
  });
  assert.equal(exact.code, 0, exact.stderr);
  assert.deepEqual(
    readRecords(join(dir, 'one.gor')).map((r) => r.payload.split(' ')[1]),
    ['/p/0', '/p/3', '/p/6', '/p/9'],
  );

  // Records that tie on timestamps come in key order, as those of local files come in path order.
  const tie = getRequests(1, { path: () => '/tie' })[0]!;
  await s3.put('logs', 'tie/b.gor', encodeRecords([{ ...tie, id: 'b'.repeat(24) }]));
  await s3.put('logs', 'tie/a.gor', encodeRecords([{ ...tie, id: 'a'.repeat(24) }]));
  const tied = await runCli(['--input-file', 's3://logs/tie/', '--input-file-no-wait', '--output-file', join(dir, 'tie.gor')], {
    env: s3.env,
  });
  assert.equal(tied.code, 0, tied.stderr);
  assert.deepEqual(
    readRecords(join(dir, 'tie.gor')).map((r) => r.id),
    ['a'.repeat(24), 'b'.repeat(24)],
  );
});

test('AWS_ENDPOINT_URL, when AWS_ENDPOINT_URL_S3 is not set, points at the S3-compatible server, path-style too', {
  timeout: 90_000,
}, async (t) => {
  const s3 = await startS3(t, ['recordings']);
  const dir = tempDir(t);
  const messages = getRequests(5);
  await s3.put('recordings', 'r.gor', encodeRecords(messages));
  const env = { ...s3.env, AWS_ENDPOINT_URL_S3: undefined, AWS_ENDPOINT_URL: s3.env.AWS_ENDPOINT_URL_S3 };
  const result = await runCli(['--input-file', 's3://recordings/r.gor', '--input-file-no-wait', '--output-file', join(dir, 'r.gor')], {
    env,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.ok(readFileSync(join(dir, 'r.gor')).equals(encodeRecords(messages)));
});

test('a missing bucket or key is an error naming the component and the URL, exit code 4', { timeout: 90_000 }, async (t) => {
  const s3 = await startS3(t, ['recordings']);
  const dir = tempDir(t);
  writeGor(join(dir, 'in.gor'), getRequests(3));

  const noBucketOut = await runCli(['--input-file', join(dir, 'in.gor'), '--output-file', 's3://no-such-bucket/requests.gor'], {
    env: s3.env,
  });
  assert.equal(noBucketOut.code, 4, noBucketOut.stderr);
  assert.match(noBucketOut.stderr, /output-file.*s3:\/\/no-such-bucket\/requests\.gor.*no such bucket/);

  const noKey = await runCli(['--input-file', 's3://recordings/missing.gor', '--output-null'], { env: s3.env });
  assert.equal(noKey.code, 4, noKey.stderr);
  assert.match(noKey.stderr, /input-file.*no file matches s3:\/\/recordings\/missing\.gor/);

  const noBucketIn = await runCli(['--input-file', 's3://no-such-bucket/*.gor', '--output-null'], { env: s3.env });
  assert.equal(noBucketIn.code, 4, noBucketIn.stderr);
  assert.match(noBucketIn.stderr, /input-file.*s3:\/\/no-such-bucket\/\*\.gor.*no such bucket/);

  const append = await runCli(['--input-file', join(dir, 'in.gor'), '--output-file', 's3://recordings/r.gor', '--output-file-append'], {
    env: s3.env,
  });
  assert.equal(append.code, 2, append.stderr);
  assert.match(append.stderr, /output-file.*append.*cannot be appended/);

  // GoReplay's local buffer folder for S3 chunks has no use here: refused with the reason.
  const buffer = await runCli(
    ['--input-file', join(dir, 'in.gor'), '--output-file', 's3://recordings/r.gor', '--output-file-buffer', dir],
    { env: s3.env },
  );
  assert.equal(buffer.code, 2, buffer.stderr);
  assert.match(
    buffer.stderr,
    /--output-file-buffer is a GoReplay flag reprise does not take: .*reprise streams an s3:\/\/ --output-file to S3 as a multipart upload/,
  );
});
