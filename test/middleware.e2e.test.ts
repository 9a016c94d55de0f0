// End to end through the built CLI (packages/cli/bin/run.js): a recorded .gor file is replayed to a
// real HTTP server on 127.0.0.1, through the modifiers, a sandboxed script and an external middleware.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeRecords, type Message } from '@reprise/core';
import { recordingServer, repoRoot, runCli, tempDir } from './support/cli.js';

const fixture = (name: string) => join(repoRoot, 'packages/plugin-middleware/test/fixtures', name);

/** A staging server that records what it receives (bodies as text); /login answers a token. */
async function stagingServer(t: { after(fn: () => Promise<void> | void): void }) {
  const server = await recordingServer(t, (req) => ({ body: req.url === '/login' ? '{"token":"stage-token"}' : 'ok' }));
  return {
    url: server.url,
    get seen() {
      return server.received.map((r) => ({ method: r.method, url: r.url, headers: r.headers, body: r.body.toString('utf8') }));
    },
  };
}

let seq = 0;
const base = BigInt(Date.now()) * 1_000_000n;
function record(kind: Message['kind'], text: string, id?: string, offsetMs = 0): Message {
  seq++;
  return {
    kind,
    id: id ?? seq.toString(16).padStart(24, '0'),
    timestamp: base + BigInt(offsetMs) * 1_000_000n + BigInt(seq),
    latency: 0n,
    payload: Buffer.from(text.replace(/\n/g, '\r\n')),
  };
}

async function reprise(args: string[], timeoutMs = 30000): Promise<{ code: number | null; output: string }> {
  const result = await runCli(args, { timeoutMs });
  return { code: result.code, output: result.stdout + result.stderr };
}

test('the http modifiers filter and rewrite requests on their way to a real server', { timeout: 60000 }, async (t) => {
  const staging = await stagingServer(t);
  const dir = tempDir(t);
  const file = join(dir, 'requests.gor');
  writeFileSync(file, encodeRecords([
    record('request', 'GET /v1/users?id=1 HTTP/1.1\nHost: prod\n\n'),
    record('request', 'GET /admin/users HTTP/1.1\nHost: prod\n\n'),
    record('request', 'POST /v1/orders HTTP/1.1\nHost: prod\nContent-Length: 2\n\n{}'),
  ]));
  const { code, output } = await reprise([
    '--input-file', file, '--input-file-no-wait', '--output-http', staging.url,
    '--http-disallow-url', '^/admin', '--http-set-header', 'X-Env: staging', '--http-rewrite-url', '/v1/(.*):/v2/$1',
  ]);
  assert.equal(code, 0, output);
  const seen = staging.seen.map((s) => [s.method, s.url, s.headers['x-env'], s.body]).sort();
  assert.deepEqual(seen, [['GET', '/v2/users?id=1', 'staging', ''], ['POST', '/v2/orders', 'staging', '{}']]);
});

test('a sandboxed script learns staging tokens from replayed responses and rewrites later requests', { timeout: 60000 }, async (t) => {
  const staging = await stagingServer(t);
  const dir = tempDir(t);
  const script = join(dir, 'tokens.js');
  writeFileSync(script, `
    const stagingToken = new Map();
    const token = (m) => /"token":"([^"]+)"/.exec(m.body)?.[1];
    export function request(req) {
      if (req.path === '/health') return null;
      const auth = req.headers.get('authorization');
      const mapped = auth && stagingToken.get(auth.slice(7));
      if (mapped) req.headers.set('Authorization', 'Bearer ' + mapped);
      return req;
    }
    export function replayedResponse(res, req, original) {
      if (req?.path === '/login' && original) stagingToken.set(token(original), token(res));
      return res;
    }`);
  const login = record('request', 'POST /login HTTP/1.1\nHost: prod\nContent-Length: 0\n\n', undefined, 0);
  const file = join(dir, 'session.gor');
  writeFileSync(file, encodeRecords([
    login,
    record('response', 'HTTP/1.1 200 OK\nContent-Length: 22\n\n{"token":"prod-token"}', login.id, 1),
    record('request', 'GET /health HTTP/1.1\nHost: prod\n\n', undefined, 2),
    // Recorded 500 ms later: by then the replayed login response has come back.
    record('request', 'GET /me HTTP/1.1\nHost: prod\nAuthorization: Bearer prod-token\n\n', undefined, 500),
  ]));
  const { code, output } = await reprise([
    '--input-file', file, '--output-http', staging.url, '--output-http-track-response', '--middleware-script', script,
  ]);
  assert.equal(code, 0, output);
  assert.deepEqual(staging.seen.map((s) => s.url), ['/login', '/me']);
  assert.equal(staging.seen[1]!.headers.authorization, 'Bearer stage-token');
});

test('a failing script is contained: the run goes on, the failure is reported with file and line', { timeout: 60000 }, async (t) => {
  const staging = await stagingServer(t);
  const dir = tempDir(t);
  const script = join(dir, 'flaky.js');
  writeFileSync(script, `export function request(req) {\n  if (req.path === '/loop') for (;;) {}\n  if (req.path === '/throw') throw new Error('bad request');\n  return req;\n}\n`);
  const file = join(dir, 'requests.gor');
  writeFileSync(file, encodeRecords([
    record('request', 'GET /a HTTP/1.1\nHost: x\n\n'),
    record('request', 'GET /throw HTTP/1.1\nHost: x\n\n'),
    record('request', 'GET /loop HTTP/1.1\nHost: x\n\n'),
    record('request', 'GET /b HTTP/1.1\nHost: x\n\n'),
  ]));
  const { code, output } = await reprise([
    '--input-file', file, '--input-file-no-wait', '--output-http', staging.url,
    '--middleware-script', script, '--middleware-script-on-error', 'drop', '--middleware-script-timeout', '200ms',
  ]);
  assert.equal(code, 0, output);
  assert.deepEqual(staging.seen.map((s) => s.url).sort(), ['/a', '/b']);
  assert.match(output, new RegExp(`${script.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: request\\(\\) threw Error: bad request`));
  assert.match(output, /request\(\) timed out after 200 ms/);
});

test('an existing GoReplay middleware in Python runs unchanged between the file and the server', { timeout: 60000 }, async (t) => {
  const staging = await stagingServer(t);
  const dir = tempDir(t);
  const file = join(dir, 'requests.gor');
  writeFileSync(file, encodeRecords([
    record('request', 'GET /health HTTP/1.1\nHost: x\n\n'),
    record('request', 'GET /kept HTTP/1.1\nHost: x\n\n'),
    record('request', 'GET /also-kept HTTP/1.1\nHost: x\n\n'),
  ]));
  const { code, output } = await reprise([
    '--input-file', file, '--input-file-no-wait', '--output-http', staging.url, '--middleware', `python3 ${fixture('token-middleware.py')}`,
  ]);
  assert.equal(code, 0, output);
  assert.deepEqual(staging.seen.map((s) => s.url).sort(), ['/also-kept', '/kept']);
});

test('a GoReplay middleware maps tokens from replayed responses, through the CLI and a real server', { timeout: 60000 }, async (t) => {
  const staging = await stagingServer(t);
  const dir = tempDir(t);
  const login = record('request', 'POST /login HTTP/1.1\nHost: prod\nContent-Length: 0\n\n', undefined, 0);
  const file = join(dir, 'session.gor');
  writeFileSync(file, encodeRecords([
    login,
    record('response', 'HTTP/1.1 200 OK\nContent-Length: 22\n\n{"token":"prod-token"}', login.id, 1),
    // Recorded 500 ms later: by then the replayed login response has been through the middleware.
    record('request', 'GET /me HTTP/1.1\nHost: prod\nAuthorization: Bearer prod-token\n\n', undefined, 500),
  ]));
  const { code, output } = await reprise([
    '--input-file', file, '--output-http', staging.url, '--output-http-track-response', '--middleware', `python3 ${fixture('token-middleware.py')}`,
  ]);
  assert.equal(code, 0, output);
  assert.deepEqual(staging.seen.map((s) => s.url), ['/login', '/me']);
  assert.equal(staging.seen[1]!.headers.authorization, 'Bearer stage-token');
});

test('reprise middleware test shows what a script does to each recorded message', { timeout: 60000 }, async (t) => {
  const dir = tempDir(t);
  const script = join(dir, 'rewrite.js');
  writeFileSync(script, `export function request(req) {
  if (req.path === '/admin') return null;
  req.headers.set('X-Env', 'staging');
  return req;
}`);
  const file = join(dir, 'requests.gor');
  writeFileSync(file, encodeRecords([record('request', 'GET /admin HTTP/1.1\nHost: x\n\n'), record('request', 'GET /ok HTTP/1.1\nHost: x\n\n')]));
  const { code, output } = await reprise(['middleware', 'test', script, '--input-file', file]);
  assert.equal(code, 0, output);
  assert.match(output, /^DROPPED {2}request \w+ GET \/admin HTTP\/1\.1$/m);
  assert.match(output, /^CHANGED {2}request \w+ GET \/ok HTTP\/1\.1\n {4}\+ X-Env: staging$/m);
  assert.match(output, /2 messages: 0 unchanged, 1 changed, 1 dropped, 0 amplified, 0 failed/);
});
