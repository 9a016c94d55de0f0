import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMiddlewareTest, runMiddlewareTestAsync, formatMiddlewareTestReport } from '../src/middleware-test.js';
import { diffMessages } from '../src/message-diff.js';
import { request, response } from './context.js';

test('the report tells per message whether the script dropped, changed, amplified, kept or failed on it', { timeout: 10000 }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-mwtest-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'rewrite.js');
  writeFileSync(
    file,
    `export function request(req) {
  if (req.path === '/admin') return null;
  if (req.path === '/boom') throw new RangeError('bad input');
  if (req.path === '/twice') return [req, req.clone()];
  if (req.path === '/same') return req;
  req.headers.set('X-Env', 'staging');
  req.headers.delete('cookie');
  if (req.method === 'POST') req.body = req.body.replace('prod', 'staging');
  console.log('rewrote', req.path);
  return req;
}`,
  );
  const messages = [
    request('GET /admin HTTP/1.1\n\n'),
    request('POST /login HTTP/1.1\nCookie: a=1\nContent-Length: 12\n\nuser=prod\nok'),
    request('GET /twice HTTP/1.1\n\n'),
    request('GET /same HTTP/1.1\n\n'),
    request('GET /boom HTTP/1.1\n\n'),
    response('response', 'a'.repeat(24), 'HTTP/1.1 200 OK\n\n'),
  ];
  const report = runMiddlewareTest(file, messages, { batchSize: 4 });
  assert.deepEqual(
    report.results.map((r) => r.outcome),
    ['dropped', 'changed', 'amplified', 'unchanged', 'failed', 'unchanged'],
  );
  assert.deepEqual(report.results[1]!.diffs[0], [
    '- Cookie: a=1',
    '- Content-Length: 12',
    '+ Content-Length: 16',
    '+ X-Env: staging',
    '@@ body, line 1',
    '- user=prod',
    '+ user=staging',
  ]);
  assert.match(report.results[4]!.error!, /rewrite\.js:3:\d+: request\(\) threw RangeError: bad input/);
  assert.deepEqual(report.logs, ['info rewrote /login']);
  const text = formatMiddlewareTestReport(report);
  assert.match(text, /^DROPPED {2}request \w+ GET \/admin HTTP\/1\.1$/m);
  assert.match(text, /^CHANGED {2}request \w+ POST \/login HTTP\/1\.1\n {4}- Cookie: a=1\n/m);
  assert.match(text, /^AMPLIFIED into 2 {2}request/m);
  assert.match(text, /^FAILED {2}request \w+ GET \/boom HTTP\/1\.1\n {4}.*RangeError: bad input$/m);
  assert.match(text, /6 messages: 2 unchanged, 1 changed, 1 dropped, 1 amplified, 1 failed$/);
});

test('a diff shows a changed request line and a changed header in place', { timeout: 5000 }, () => {
  const before = Buffer.from('GET /v1/a HTTP/1.1\r\nHost: a\r\n\r\n');
  const after = Buffer.from('GET /v2/a HTTP/1.1\r\nHost: b\r\n\r\n');
  assert.deepEqual(diffMessages(before, after), ['- GET /v1/a HTTP/1.1', '+ GET /v2/a HTTP/1.1', '- Host: a', '+ Host: b']);
});

test('messages can come from an async source, such as a file being decoded', { timeout: 10000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-mwtest-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'drop-odd.js');
  writeFileSync(file, `let n = 0; export function request(req) { return n++ % 2 ? null : req; }`);
  async function* source() {
    for (let i = 0; i < 5; i++) yield request(`GET /${i} HTTP/1.1\n\n`);
  }
  const report = await runMiddlewareTestAsync(file, source(), { batchSize: 2 });
  assert.deepEqual(
    report.results.map((r) => r.outcome),
    ['unchanged', 'dropped', 'unchanged', 'dropped', 'unchanged'],
  );
});
