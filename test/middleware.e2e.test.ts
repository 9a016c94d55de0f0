// End to end through the built CLI (packages/cli/bin/run.js): a recorded .gor file is replayed to a
// real HTTP server on 127.0.0.1, through the modifiers, a sandboxed script and an external middleware.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { encodeRecords, type Message } from '@reprise/core';
import { recordingServer, repoRoot, runCli, tempDir } from './support/cli.js';
import { readRecords, summaryCounters } from './support/gor.js';

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
  writeFileSync(
    file,
    encodeRecords([
      record('request', 'GET /v1/users?id=1 HTTP/1.1\nHost: prod\n\n'),
      record('request', 'GET /admin/users HTTP/1.1\nHost: prod\n\n'),
      record('request', 'POST /v1/orders HTTP/1.1\nHost: prod\nContent-Length: 2\n\n{}'),
    ]),
  );
  const { code, output } = await reprise([
    '--input-file',
    file,
    '--input-file-no-wait',
    '--output-http',
    staging.url,
    '--http-disallow-url',
    '^/admin',
    '--http-set-header',
    'X-Env: staging',
    '--http-rewrite-url',
    '/v1/(.*):/v2/$1',
  ]);
  assert.equal(code, 0, output);
  const seen = staging.seen.map((s) => [s.method, s.url, s.headers['x-env'], s.body]).sort();
  assert.deepEqual(seen, [
    ['GET', '/v2/users?id=1', 'staging', ''],
    ['POST', '/v2/orders', 'staging', '{}'],
  ]);
});

test('a sandboxed script learns staging tokens from replayed responses and rewrites later requests', { timeout: 60000 }, async (t) => {
  const staging = await stagingServer(t);
  const dir = tempDir(t);
  const script = join(dir, 'tokens.js');
  writeFileSync(
    script,
    `
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
    }`,
  );
  const login = record('request', 'POST /login HTTP/1.1\nHost: prod\nContent-Length: 0\n\n', undefined, 0);
  const file = join(dir, 'session.gor');
  writeFileSync(
    file,
    encodeRecords([
      login,
      record('response', 'HTTP/1.1 200 OK\nContent-Length: 22\n\n{"token":"prod-token"}', login.id, 1),
      record('request', 'GET /health HTTP/1.1\nHost: prod\n\n', undefined, 2),
      // Recorded 1.5 s later (room for a busy machine): by then the replayed login response has come back.
      record('request', 'GET /me HTTP/1.1\nHost: prod\nAuthorization: Bearer prod-token\n\n', undefined, 1500),
    ]),
  );
  const { code, output } = await reprise([
    '--input-file',
    file,
    '--output-http',
    staging.url,
    '--output-http-track-response',
    '--middleware-script',
    script,
  ]);
  assert.equal(code, 0, output);
  assert.deepEqual(
    staging.seen.map((s) => s.url),
    ['/login', '/me'],
  );
  assert.equal(staging.seen[1]!.headers.authorization, 'Bearer stage-token');
  assert.doesNotMatch(output, /no output tracks responses/, 'output-http tracks responses here');
});

test('a failing script is contained: the run goes on, the failure is reported with file and line', { timeout: 60000 }, async (t) => {
  const staging = await stagingServer(t);
  const dir = tempDir(t);
  const script = join(dir, 'flaky.js');
  writeFileSync(
    script,
    `export function request(req) {\n  if (req.path === '/loop') for (;;) {}\n  if (req.path === '/throw') throw new Error('bad request');\n  return req;\n}\n`,
  );
  const file = join(dir, 'requests.gor');
  writeFileSync(
    file,
    encodeRecords([
      record('request', 'GET /a HTTP/1.1\nHost: x\n\n'),
      record('request', 'GET /throw HTTP/1.1\nHost: x\n\n'),
      record('request', 'GET /loop HTTP/1.1\nHost: x\n\n'),
      record('request', 'GET /b HTTP/1.1\nHost: x\n\n'),
    ]),
  );
  const { code, output } = await reprise([
    '--input-file',
    file,
    '--input-file-no-wait',
    '--output-http',
    staging.url,
    '--middleware-script',
    script,
    '--middleware-script-on-error',
    'drop',
    '--middleware-script-timeout',
    '200ms',
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
  writeFileSync(
    file,
    encodeRecords([
      record('request', 'GET /health HTTP/1.1\nHost: x\n\n'),
      record('request', 'GET /kept HTTP/1.1\nHost: x\n\n'),
      record('request', 'GET /also-kept HTTP/1.1\nHost: x\n\n'),
    ]),
  );
  const { code, output } = await reprise([
    '--input-file',
    file,
    '--input-file-no-wait',
    '--output-http',
    staging.url,
    '--middleware',
    `python3 ${fixture('token-middleware.py')}`,
  ]);
  assert.equal(code, 0, output);
  assert.deepEqual(staging.seen.map((s) => s.url).sort(), ['/also-kept', '/kept']);
});

test('a GoReplay middleware maps tokens from replayed responses, through the CLI and a real server', { timeout: 60000 }, async (t) => {
  const staging = await stagingServer(t);
  const dir = tempDir(t);
  const login = record('request', 'POST /login HTTP/1.1\nHost: prod\nContent-Length: 0\n\n', undefined, 0);
  const file = join(dir, 'session.gor');
  writeFileSync(
    file,
    encodeRecords([
      login,
      record('response', 'HTTP/1.1 200 OK\nContent-Length: 22\n\n{"token":"prod-token"}', login.id, 1),
      // Recorded 1.5 s later (room for a busy machine): by then the replayed login response has been through the middleware.
      record('request', 'GET /me HTTP/1.1\nHost: prod\nAuthorization: Bearer prod-token\n\n', undefined, 1500),
    ]),
  );
  const { code, output } = await reprise([
    '--input-file',
    file,
    '--output-http',
    staging.url,
    '--output-http-track-response',
    '--middleware',
    `python3 ${fixture('token-middleware.py')}`,
  ]);
  assert.equal(code, 0, output);
  assert.deepEqual(
    staging.seen.map((s) => s.url),
    ['/login', '/me'],
  );
  assert.equal(staging.seen[1]!.headers.authorization, 'Bearer stage-token');
});

test('reprise middleware test shows what a script does to each recorded message', { timeout: 60000 }, async (t) => {
  const dir = tempDir(t);
  const script = join(dir, 'rewrite.js');
  writeFileSync(
    script,
    `export function request(req) {
  if (req.path === '/admin') return null;
  req.headers.set('X-Env', 'staging');
  return req;
}`,
  );
  const file = join(dir, 'requests.gor');
  writeFileSync(
    file,
    encodeRecords([record('request', 'GET /admin HTTP/1.1\nHost: x\n\n'), record('request', 'GET /ok HTTP/1.1\nHost: x\n\n')]),
  );
  const { code, output } = await reprise(['middleware', 'test', script, '--input-file', file]);
  assert.equal(code, 0, output);
  assert.match(output, /^DROPPED {2}request \w+ GET \/admin HTTP\/1\.1$/m);
  assert.match(output, /^CHANGED {2}request \w+ GET \/ok HTTP\/1\.1\n {4}\+ X-Env: staging$/m);
  assert.match(output, /2 messages: 0 unchanged, 1 changed, 1 dropped, 0 amplified, 0 failed/);
});

test('a session-token script works unchanged through a script timeout: store survives the rebuild, module state does not', {
  timeout: 60000,
}, async (t) => {
  const staging = await stagingServer(t);
  const dir = tempDir(t);
  const script = join(dir, 'session.js');
  writeFileSync(
    script,
    `
    const moduleTokens = new Map();   // reset by the rebuild
    const token = (m) => /"token":"([^"]+)"/.exec(m.body)?.[1];
    export function request(req) {
      if (req.path === '/slow') for (;;) {}
      const auth = req.headers.get('authorization');
      if (!auth) return req;
      const prod = auth.slice(7);
      const mapped = store.get('token:' + prod);
      if (typeof mapped === 'string') req.headers.set('Authorization', 'Bearer ' + mapped);
      req.headers.set('X-Module-Token', moduleTokens.get(prod) ?? 'none');
      return req;
    }
    export function replayedResponse(res, req, original) {
      if (req?.path === '/login' && original) {
        store.set('token:' + token(original), token(res));
        moduleTokens.set(token(original), token(res));
      }
      return res;
    }`,
  );
  const login = record('request', 'POST /login HTTP/1.1\nHost: prod\nContent-Length: 0\n\n', undefined, 0);
  const file = join(dir, 'session.gor');
  writeFileSync(
    file,
    encodeRecords([
      login,
      record('response', 'HTTP/1.1 200 OK\nContent-Length: 22\n\n{"token":"prod-token"}', login.id, 1),
      // After the replayed login response is back: a request that times out, then one that needs the token.
      record('request', 'GET /slow HTTP/1.1\nHost: prod\n\n', undefined, 800),
      record('request', 'GET /me HTTP/1.1\nHost: prod\nAuthorization: Bearer prod-token\n\n', undefined, 1300),
    ]),
  );
  // A limit well above what a busy machine needs for the other calls; the loop exceeds any.
  const { code, output } = await reprise([
    '--input-file',
    file,
    '--output-http',
    staging.url,
    '--output-http-track-response',
    '--middleware-script',
    script,
    '--middleware-script-timeout',
    '250ms',
  ]);
  assert.equal(code, 0, output);
  assert.deepEqual(
    staging.seen.map((s) => s.url),
    ['/login', '/me'],
    'the timed-out /slow is dropped (fail closed)',
  );
  assert.equal(staging.seen[1]!.headers.authorization, 'Bearer stage-token', output);
  assert.equal(staging.seen[1]!.headers['x-module-token'], 'none', 'module state was reset by the rebuild');
  assert.match(output, /request\(\) timed out after 250 ms/);
  assert.ok(
    output.includes(
      `${script}: the isolate was rebuilt after a timeout or an exhausted heap: module state (top-level variables) was reset; store kept (1 keys)`,
    ),
    output,
  );
  const c = summaryCounters(output, 'middleware-script');
  assert.equal(c['script-timeouts'], 1);
  assert.equal(c['script-restarts'], 1);
  assert.equal(c['dropped-by-script-error'], 1);
});

test('fail closed by default: a script that throws before its /admin check lets no /admin through; drops are counted in the summary', {
  timeout: 60000,
}, async (t) => {
  const staging = await stagingServer(t);
  const dir = tempDir(t);
  const script = join(dir, 'guard.js');
  writeFileSync(
    script,
    `export function request(req) {
  const tenant = req.headers.get('x-tenant').toLowerCase();   // throws when the header is missing
  if (req.path.startsWith('/admin')) return null;
  if (req.path === '/health') return null;
  req.headers.set('X-Tenant', tenant);
  return req;
}`,
  );
  const file = join(dir, 'requests.gor');
  writeFileSync(
    file,
    encodeRecords([
      record('request', 'GET /admin/users HTTP/1.1\nHost: x\n\n'),
      record('request', 'GET /admin/users HTTP/1.1\nHost: x\nX-Tenant: A\n\n'),
      record('request', 'GET /health HTTP/1.1\nHost: x\nX-Tenant: A\n\n'),
      record('request', 'GET /orders HTTP/1.1\nHost: x\nX-Tenant: A\n\n'),
    ]),
  );
  const { code, output } = await reprise([
    '--input-file',
    file,
    '--input-file-no-wait',
    '--output-http',
    staging.url,
    '--middleware-script',
    script,
  ]);
  assert.equal(code, 0, output);
  assert.deepEqual(
    staging.seen.map((s) => [s.url, s.headers['x-tenant']]),
    [['/orders', 'a']],
  );
  assert.match(output, /guard\.js:2:\d+: request\(\) threw TypeError/);
  const c = summaryCounters(output, 'middleware-script');
  assert.equal(c['dropped-by-script-error'], 1);
  assert.equal(c['dropped-by-script'], 2);
  assert.equal(c['script-errors'], 1);
});

test("--quiet hides reprise's chatter but not the script's console output; replayedResponse without tracking is a warning", {
  timeout: 60000,
}, async (t) => {
  const staging = await stagingServer(t);
  const dir = tempDir(t);
  const script = join(dir, 'talk.js');
  writeFileSync(
    script,
    `export function request(req) { console.log('saw', req.path); return req; }
export function replayedResponse(res) { return res; }`,
  );
  const file = join(dir, 'requests.gor');
  writeFileSync(
    file,
    encodeRecords([record('request', 'GET /one HTTP/1.1\nHost: x\n\n'), record('request', 'GET /two HTTP/1.1\nHost: x\n\n')]),
  );
  const { code, output } = await reprise([
    '--input-file',
    file,
    '--input-file-no-wait',
    '--output-http',
    staging.url,
    '--middleware-script',
    script,
    '--quiet',
  ]);
  assert.equal(code, 0, output);
  assert.ok(output.includes(`[${script}] info saw /one`), output);
  assert.ok(output.includes(`[${script}] info saw /two`), output);
  assert.ok(
    output.includes(`${script} exports replayedResponse, but no output tracks responses (add --output-http-track-response)`),
    output,
  );
  assert.doesNotMatch(output, /reprise stopped/, '--quiet still hides the summary');
});

test('a script cannot forge a .gor record through req.id: the message is dropped and the file holds only real records', {
  timeout: 60000,
}, async (t) => {
  const dir = tempDir(t);
  const script = join(dir, 'forge.js');
  const forged = `ab\n1 ${'c'.repeat(24)} 1 0\nGET /injected HTTP/1.1\n\n`;
  writeFileSync(
    script,
    `export function request(req) {
  if (req.path === '/forge') req.id = ${JSON.stringify(forged)};
  if (req.path === '/not-hex') req.id = 'not-hex';
  return req;
}`,
  );
  const file = join(dir, 'requests.gor');
  const kept = record('request', 'GET /kept HTTP/1.1\nHost: x\n\n');
  writeFileSync(
    file,
    encodeRecords([record('request', 'GET /forge HTTP/1.1\nHost: x\n\n'), kept, record('request', 'GET /not-hex HTTP/1.1\nHost: x\n\n')]),
  );
  const out = join(dir, 'out.gor');
  const { code, output } = await reprise([
    '--input-file',
    file,
    '--input-file-no-wait',
    '--output-file',
    out,
    '--middleware-script',
    script,
    '--middleware-script-on-error',
    'pass',
  ]);
  assert.equal(code, 0, output);
  const records = readRecords(out);
  assert.deepEqual(
    records.map((r) => [r.type, r.id, r.payload.split('\r\n')[0]]),
    [['1', kept.id, 'GET /kept HTTP/1.1']],
  );
  assert.match(output, /forge\.js:2:\d+: request\(\) threw InvalidFieldError: invalid req\.id "ab\\n1 c+/);
  assert.match(output, /forge\.js:3:\d+: request\(\) threw InvalidFieldError: invalid req\.id "not-hex": an id is 24 lowercase hex digits/);
  const c = summaryCounters(output, 'middleware-script');
  assert.equal(c['script-invalid-fields'], 2);
  assert.equal(c['dropped-by-script-error'], 2);
});

test('reprise middleware test --target replays for real, so replayedResponse runs and maps the token for the next request', {
  timeout: 60000,
}, async (t) => {
  const staging = await stagingServer(t);
  const dir = tempDir(t);
  const script = join(dir, 'tokens.js');
  writeFileSync(
    script,
    `const token = (m) => /"token":"([^"]+)"/.exec(m.body)?.[1];
export function request(req) {
  const mapped = store.get('token');
  if (req.path === '/me' && typeof mapped === 'string') req.headers.set('Authorization', 'Bearer ' + mapped);
  return req;
}
export function replayedResponse(res, req, original) {
  if (req?.path === '/login' && original) { store.set('token', token(res)); console.log('mapped', token(original), 'to', token(res)); }
  return res;
}`,
  );
  const login = record('request', 'POST /login HTTP/1.1\nHost: prod\nContent-Length: 0\n\n', undefined, 0);
  const file = join(dir, 'session.gor');
  writeFileSync(
    file,
    encodeRecords([
      login,
      record('request', 'GET /me HTTP/1.1\nHost: prod\nAuthorization: Bearer prod-token\n\n', undefined, 5),
      // The original response was recorded after /me: the replayed one waits for it, so `original` is known.
      record('response', 'HTTP/1.1 200 OK\nContent-Length: 22\n\n{"token":"prod-token"}', login.id, 8),
      record('request', 'GET /me HTTP/1.1\nHost: prod\nAuthorization: Bearer prod-token\n\n', undefined, 10),
    ]),
  );
  const { code, output } = await reprise(['middleware', 'test', script, '--input-file', file, '--target', staging.url]);
  assert.equal(code, 0, output);
  assert.deepEqual(
    staging.seen.map((s) => [s.url, s.headers.authorization]),
    [
      ['/login', undefined],
      ['/me', 'Bearer prod-token'],
      ['/me', 'Bearer stage-token'],
    ],
  );
  assert.match(output, /^UNCHANGED {2}replayed-response \w+ HTTP\/1\.1 200 OK$/m);
  assert.match(output, /info mapped prod-token to stage-token/);
  assert.match(output, /7 messages: /, 'four recorded messages and three replayed responses');
});

test('reprise middleware test uses the live time limit (100 ms), not a longer one', { timeout: 60000 }, async (t) => {
  const dir = tempDir(t);
  const script = join(dir, 'slow.js');
  writeFileSync(
    script,
    `export function request(req) {
  if (req.path === '/slow') { const until = Date.now() + 400; while (Date.now() < until) {} }
  return req;
}`,
  );
  const file = join(dir, 'requests.gor');
  writeFileSync(
    file,
    encodeRecords([record('request', 'GET /slow HTTP/1.1\nHost: x\n\n'), record('request', 'GET /fast HTTP/1.1\nHost: x\n\n')]),
  );
  const live = await reprise(['middleware', 'test', script, '--input-file', file]);
  assert.equal(live.code, 1, live.output);
  assert.match(live.output, /^FAILED {2}request \w+ GET \/slow HTTP\/1\.1\n {4}.*request\(\) timed out after 100 ms$/m);
  assert.match(live.output, /the isolate was rebuilt: module state was reset/);
  const longer = await reprise(['middleware', 'test', script, '--input-file', file, '--timeout', '2s']);
  assert.equal(longer.code, 0, longer.output);
  assert.match(longer.output, /2 messages: 2 unchanged/);
});

test('the script API reference is named by reprise --help (with its installed path) and reprise middleware --help', {
  timeout: 60000,
}, async () => {
  const scriptsMd = join(repoRoot, 'packages/plugin-middleware/SCRIPTS.md');
  const help = await reprise(['--help']);
  assert.equal(help.code, 0, help.output);
  assert.ok(help.output.includes(`--middleware-script API reference: ${scriptsMd}`), help.output.slice(0, 2000));
  const section = help.output.slice(help.output.indexOf('--middleware-script <'));
  assert.match(section.slice(0, 600), /script API: SCRIPTS\.md of @reprise\/plugin-middleware/);
  assert.match(help.output, /--middleware-script-on-error <drop\|pass\|stop>\n.*\(default "drop"\)/);
  const topic = await reprise(['middleware', '--help']);
  assert.equal(topic.code, 0, topic.output);
  assert.match(topic.output, /Script API reference: SCRIPTS\.md in @reprise\/plugin-middleware/);
  assert.match(topic.output, /script-api\.d\.ts/);
  const command = await reprise(['middleware', 'test', '--help']);
  assert.ok(command.output.replace(/\s+/g, ' ').includes(`Script API reference: ${scriptsMd}`), command.output);
});

test('a script runs on a thread of its own with a second core and on the main thread with one: the same output, in order', {
  timeout: 120000,
}, async (t) => {
  const dir = tempDir(t);
  const script = join(dir, 'count.js');
  writeFileSync(
    script,
    `let n = 0;
export function request(req) { n++; if (n % 7 === 0) return null; req.headers.set('X-Seq', String(n)); return req; }`,
  );
  const file = join(dir, 'in.gor');
  // Several batches of 256, so that more than one is in flight.
  const requests = Array.from({ length: 1500 }, (_, i) => record('request', `GET /item/${i} HTTP/1.1\nHost: prod\n\n`));
  writeFileSync(file, encodeRecords(requests));
  const run = async (name: string, wrapper?: string[]) => {
    const out = join(dir, `${name}.gor`);
    const result = await runCli(
      ['--input-file', file, '--input-file-no-wait', '--middleware-script', script, '--output-file', out, '--verbose'],
      {
        timeoutMs: 60000,
        wrapper,
      },
    );
    assert.equal(result.code, 0, result.stderr);
    return { output: result.stdout + result.stderr, lines: readRecords(out).map((m) => m.payload.split('\r\n').slice(0, 3).join('|')) };
  };
  const twoCores = await run('default');
  const oneCore = await run('one-core', ['taskset', '-c', '0']);
  const expected = requests
    .map((_, i) => i + 1)
    .filter((n) => n % 7 !== 0)
    .map((n) => `GET /item/${n - 1} HTTP/1.1|Host: prod|X-Seq: ${n}`);
  assert.deepEqual(twoCores.lines, expected);
  assert.deepEqual(oneCore.lines, expected);
  assert.match(oneCore.output, /one core available, the script runs on reprise's main thread/);
  if (availableParallelism() >= 2) assert.doesNotMatch(twoCores.output, /one core available/);
});
