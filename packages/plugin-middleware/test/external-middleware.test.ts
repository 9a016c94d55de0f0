import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { RepriseError, type Message } from '@reprise/core';
import { decodeMiddlewareLine, encodeMiddlewareLines, LineSplitter } from '../src/middleware-line.js';
import { middleware } from '../src/middleware-component.js';
import { recordingContext, request, response, text, type RecordingContext } from './context.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

async function until(ctx: RecordingContext, count: number, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (ctx.emitted.length < count) {
    if (Date.now() > deadline) throw new Error(`only ${ctx.emitted.length} of ${count} messages came back`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a message is one hex line of its header line and payload, as GoReplay writes it', { timeout: 5000 }, () => {
  const m = request('GET /a HTTP/1.1\nHost: x\n\n', 'ab'.repeat(12));
  const line = encodeMiddlewareLines([m]);
  assert.ok(line.endsWith('\n'));
  const decoded = Buffer.from(line.trim(), 'hex').toString('latin1');
  assert.equal(decoded, `1 ${'ab'.repeat(12)} ${m.timestamp} 0\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n`);
  const back = decodeMiddlewareLine(line.trim());
  assert.deepEqual(back.message, { ...m, payload: back.message!.payload });
  assert.deepEqual(Buffer.from(back.message!.payload), Buffer.from(m.payload));
});

test('an HTTP/2 message keeps its protocol token through a middleware line', { timeout: 5000 }, () => {
  const m: Message = { ...request('POST /svc/Call HTTP/1.1\nHost: x\n\n', 'cd'.repeat(12)), protocol: 'h2c' };
  const line = encodeMiddlewareLines([m]).trim();
  assert.match(Buffer.from(line, 'hex').toString('latin1'), new RegExp(`^1 ${'cd'.repeat(12)} ${m.timestamp} 0 h2c\n`));
  assert.equal(decodeMiddlewareLine(line).message?.protocol, 'h2c');
});

test('lines with three header fields, bad hex or an unknown type are told apart', { timeout: 5000 }, () => {
  const three = Buffer.from('2 0123456789abcdef01234567 1700000000000000000\nHTTP/1.1 200 OK\r\n\r\n').toString('hex');
  const ok = decodeMiddlewareLine(three);
  assert.equal(ok.message?.kind, 'response');
  assert.equal(ok.message?.latency, 0n);
  assert.match(decodeMiddlewareLine('zz').error!, /not a hex/);
  assert.match(decodeMiddlewareLine(Buffer.from('9 id 1\nx').toString('hex')).error!, /payload type is not 1, 2 or 3 in "9 id 1"/);
  assert.match(decodeMiddlewareLine(Buffer.from('1 NOT-A-HEX-ID-OF-24-CHARS 1\nx').toString('hex')).error!, /id is not 24 lowercase hex/);
  assert.match(decodeMiddlewareLine(Buffer.from(`1 ${'a'.repeat(24)} 17`).toString('hex')).error!, /no newline/);
});

test('the line splitter keeps an unfinished line for the next chunk', { timeout: 5000 }, () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push('ab\ncd'), ['ab']);
  assert.deepEqual(s.push('ef\r\ngh\n'), ['cdef', 'gh']);
  assert.equal(s.end(), '');
});

test('an echo middleware in Node passes every kind of message back unchanged', { timeout: 20000 }, async (t) => {
  const ctx = recordingContext('middleware');
  const instance = await middleware.create(`node ${fixture('echo-middleware.js')}`, { flushTimeout: '5s' }, ctx);
  t.after(() => instance.close?.());
  const req = request('POST /x HTTP/1.1\nContent-Length: 3\n\nabc');
  const batch: Message[] = [
    req,
    response('response', req.id, 'HTTP/1.1 200 OK\n\n'),
    response('replayed-response', req.id, 'HTTP/1.1 201 Created\n\n'),
  ];
  const many = Array.from({ length: 2000 }, (_, i) => request(`GET /many/${i} HTTP/1.1\n\n`));
  assert.deepEqual(await instance.process(batch), []);
  await instance.process(many);
  await instance.flush!();
  assert.equal(ctx.emitted.length, 2003);
  assert.deepEqual(
    ctx.emitted.slice(0, 3).map((m) => [m.kind, m.id, m.timestamp, text(m)]),
    batch.map((m) => [m.kind, m.id, m.timestamp, text(m)]),
  );
  assert.equal(text(ctx.emitted[2002]!), 'GET /many/1999 HTTP/1.1\n\n');
  assert.equal(ctx.counters.get('middleware-restarts'), undefined);
});

test('a GoReplay token-rewriting middleware in Python works unchanged: drops, learns and rewrites', { timeout: 20000 }, async (t) => {
  const ctx = recordingContext('middleware');
  const instance = await middleware.create(`python3 ${fixture('token-middleware.py')}`, { flushTimeout: '5s' }, ctx);
  t.after(() => instance.close?.());
  const login = request('POST /login HTTP/1.1\nHost: a\n\n');
  await instance.process([
    login,
    request('GET /health HTTP/1.1\n\n'),
    response('response', login.id, 'HTTP/1.1 200 OK\nContent-Length: 16\n\n{"token":"prod"}'),
  ]);
  await instance.process([response('replayed-response', login.id, 'HTTP/1.1 200 OK\nContent-Length: 19\n\n{"token":"stage"}')]);
  // Wait for the mapping to be learnt before the request that uses it (the middleware reads in order anyway).
  await until(ctx, 3);
  const me = request('GET /me HTTP/1.1\nAuthorization: Bearer prod\n\n');
  await instance.process([me]);
  await instance.flush!();
  assert.deepEqual(
    ctx.emitted.map((m) => m.kind),
    ['request', 'response', 'replayed-response', 'request'],
  );
  assert.equal(text(ctx.emitted[3]!), 'GET /me HTTP/1.1\nAuthorization: Bearer stage\n\n');
  assert.equal(ctx.emitted[3]!.id, me.id);
  assert.ok(
    ctx.logs.some((l) => l.message === `[middleware] request ${login.id}`),
    'stderr reaches the log',
  );
});

test('a middleware that crashes is reported and restarted, and later messages get through', { timeout: 20000 }, async (t) => {
  const ctx = recordingContext('middleware');
  const instance = await middleware.create(`node ${fixture('crash-middleware.js')}`, { flushTimeout: '5s' }, ctx);
  t.after(() => instance.close?.());
  await instance.process([request('GET /before HTTP/1.1\n\n'), request('GET /crash HTTP/1.1\n\n')]);
  await until(ctx, 1);
  const deadline = Date.now() + 10000;
  while (!ctx.counters.get('middleware-restarts')) {
    if (Date.now() > deadline) throw new Error('no restart');
    await new Promise((r) => setTimeout(r, 10));
  }
  // Give the restart a moment, then the new process must answer.
  await new Promise((r) => setTimeout(r, 200));
  await instance.process([request('GET /after HTTP/1.1\n\n')]);
  await until(ctx, 2);
  await instance.flush!();
  assert.deepEqual(
    ctx.emitted.map((m) => text(m).split('\n')[0]),
    ['GET /before HTTP/1.1', 'GET /after HTTP/1.1'],
  );
  assert.ok(ctx.logs.some((l) => l.level === 'warn' && /exited \(code 3\); restarting it/.test(l.message)));
});

test('a command that never exits is stopped when the flush deadline passes', { timeout: 20000 }, async (t) => {
  const ctx = recordingContext('middleware');
  const instance = await middleware.create(
    `node -e "process.stdin.resume(); process.stdin.on('end', () => setInterval(() => {}, 1000))"`,
    { flushTimeout: '300ms' },
    ctx,
  );
  t.after(() => instance.close?.());
  await instance.process([request('GET / HTTP/1.1\n\n')]);
  await instance.flush!();
  assert.ok(ctx.logs.some((l) => /did not exit within 300 ms/.test(l.message)));
});

test('a command that dies at every start is given up on: the next batch stops the pipeline with an error', {
  timeout: 30000,
}, async (t) => {
  const ctx = recordingContext('middleware');
  const instance = await middleware.create(`echo "cannot start" >&2; exit 3`, { flushTimeout: '1s' }, ctx);
  t.after(() => instance.close?.());
  const deadline = Date.now() + 20000;
  let error: unknown;
  while (Date.now() < deadline && !error) {
    try {
      await instance.process([request('GET / HTTP/1.1\n\n')]);
    } catch (e) {
      error = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(error instanceof RepriseError, 'the pipeline is stopped');
  assert.equal((error as RepriseError).code, 'RPR_PLUGIN_FAILED');
  assert.match((error as Error).message, /exited 5 times in a row/);
  assert.ok(
    ctx.logs.some((l) => l.message === '[middleware] cannot start'),
    'its stderr was logged',
  );
});
