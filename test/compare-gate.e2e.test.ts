/** `--fail-on "error_rate>N%"` on a plain replay: exit 5 when more of an output's requests failed than allowed. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { recordingServer, runCli, tempDir } from './support/cli.js';
import { getRequests, writeGor } from './support/gor.js';

const T = { timeout: 30_000 };

test('a replay exits 5 when more than N% of the requests failed, 0 when fewer, and says which output', T, async (t) => {
  const dir = tempDir(t);
  // 3 of every 10 requests get a 500: an error rate of 30%.
  const target = await recordingServer(t, (req) => ({ status: Number(req.url!.split('/')[2]) % 10 < 3 ? 500 : 200 }));
  const gor = join(dir, 'requests.gor');
  writeGor(gor, getRequests(100));
  const base = ['--input-file', gor, '--input-file-no-wait', '--output-http', target.url];

  const strict = await runCli([...base, '--fail-on', 'error_rate>10%']);
  assert.equal(strict.code, 5, strict.stderr);
  assert.match(strict.stderr, /failed: --fail-on error_rate>10% \(output-http http:\/\/127\.0\.0\.1:\d+: 30 of 100 requests failed\)/);

  const lenient = await runCli([...base, '--fail-on', 'error_rate>30%', '--fail-on', 'error_rate>0.5']);
  assert.equal(lenient.code, 0, lenient.stderr);
  assert.doesNotMatch(lenient.stderr, /failed: --fail-on/);

  const without = await runCli(base);
  assert.equal(without.code, 0, 'without --fail-on failed requests do not change the exit code');
});

test('a replay only knows error_rate: other metrics are a usage error before anything is sent', T, async (t) => {
  const target = await recordingServer(t);
  const dir = tempDir(t);
  const gor = join(dir, 'requests.gor');
  writeGor(gor, getRequests(3));
  const result = await runCli(['--input-file', gor, '--output-http', target.url, '--fail-on', 'diff_rate>1%']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /fail-on.*only knows error_rate/);
  assert.equal(target.received.length, 0);
});

test('reprise --help documents --fail-on and exit code 5', T, async () => {
  const help = await runCli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /5 the verdict failed/);
  assert.match(help.stdout, /--fail-on string \(repeatable\)\n\s+Exit with code 5/);
  assert.match(help.stdout, /reprise compare/);
});
