import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RepriseError, type Message } from '@reprise/core';
import { ScriptSandbox } from '../src/script-sandbox.js';
import { middlewareScript } from '../src/script-component.js';
import { recordingContext, request, response, text } from './context.js';

const dir = mkdtempSync(join(tmpdir(), 'reprise-script-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function script(code: string): string {
  const file = join(dir, `script-${++n}.js`);
  writeFileSync(file, code);
  return file;
}

function sandbox(code: string, limits: { memoryLimitMb?: number; timeLimitMs?: number } = {}): ScriptSandbox {
  return new ScriptSandbox({ file: script(code), memoryLimitMb: limits.memoryLimitMb ?? 32, timeLimitMs: limits.timeLimitMs ?? 200 });
}

function outputs(sb: ScriptSandbox, batch: Message[]): string[] {
  return sb.runBatch(batch).outputs.map((o) => text(o));
}

test('a script rewrites the url, a header and the body, and Content-Length follows the body', { timeout: 10000 }, (t) => {
  const sb = sandbox(`
    export function request(req) {
      req.path = req.path.replace('/v1/', '/v2/');
      req.headers.set('x-env', 'staging');
      req.headers.delete('cookie');
      req.query.set('debug', 'yes please');
      req.body = JSON.stringify({ ...JSON.parse(req.body), name: 'Zoë' });
      return req;
    }`);
  t.after(() => sb.dispose());
  const [out] = outputs(sb, [request('POST /v1/users?a=1 HTTP/1.1\nHost: api\nCookie: s=1\nContent-Length: 9\n\n{"id": 1}')]);
  const body = '{"id":1,"name":"Zoë"}';
  assert.equal(
    out,
    `POST /v2/users?a=1&debug=yes%20please HTTP/1.1\nHost: api\nContent-Length: ${Buffer.byteLength(body)}\nx-env: staging\n\n${body}`,
  );
  assert.equal(Buffer.byteLength(body), 22, 'the length counts UTF-8 bytes, not characters');
});

test('an unchanged message comes back as the very same object, so nothing is copied', { timeout: 10000 }, (t) => {
  const sb = sandbox(`export function request(req) { if (req.headers.get('host') === 'x') return req; return req; }`);
  t.after(() => sb.dispose());
  const input = request('GET / HTTP/1.1\nHost: x\n\n');
  const outcome = sb.runBatch([input]);
  assert.equal(outcome.outputs[0]!, input);
});

test('small and large payloads (returned whole or spliced around the change) interleave in one batch', { timeout: 10000 }, (t) => {
  const sb = sandbox(`export function request(req) {
    req.headers.set('X-Env', 'staging');
    if (req.path === '/forge') { req.headers.get('host'); req._body = '\\n\\xf0\\x9f\\x90\\xb5\\xf0\\x9f\\x99\\x88\\xf0\\x9f\\x99\\x89\\n'; req._dirty = true; }
    return req;
  }`);
  t.after(() => sb.dispose());
  // A body of 40,000 bytes with bytes 0xf0 in it (UTF-8 monkeys without newlines around them).
  const large = `${'🐵'.repeat(2000)}${'b'.repeat(32000)}`;
  const batch = [
    request(`POST /large HTTP/1.1\nHost: a\nContent-Length: ${Buffer.byteLength(large)}\n\n${large}`),
    request('GET /small HTTP/1.1\nHost: b\n\n'),
    request(`POST /forge HTTP/1.1\nHost: c\n\n${large}`),
    request(`POST /large2 HTTP/1.1\nHost: d\n\n${large}`),
  ];
  const outcome = sb.runBatch(batch);
  assert.deepEqual(
    outcome.outputs.map((o, k) => [outcome.sources[k], text(o)]),
    [
      [0, `POST /large HTTP/1.1\nHost: a\nContent-Length: ${Buffer.byteLength(large)}\nX-Env: staging\n\n${large}`],
      [1, 'GET /small HTTP/1.1\nHost: b\nX-Env: staging\n\n'],
      [3, `POST /large2 HTTP/1.1\nHost: d\nX-Env: staging\n\n${large}`],
    ],
  );
  assert.deepEqual(
    outcome.failures.map((f) => [f.index, f.kind, f.message]),
    [[2, 'invalid', 'request() produced a message holding the .gor record separator']],
  );
});

test('a script drops with null, keeps with undefined, and amplifies with an array of clones', { timeout: 10000 }, (t) => {
  const sb = sandbox(`
    export function request(req) {
      if (req.path === '/drop') return null;
      if (req.path === '/keep') { req.headers.set('kept', '1'); return; }
      const copy = req.clone();
      copy.url = '/copy';
      copy.id = 'c'.repeat(24);
      return [req, copy];
    }`);
  t.after(() => sb.dispose());
  const a = request('GET /drop HTTP/1.1\n\n');
  const b = request('GET /keep HTTP/1.1\n\n');
  const c = request('GET /twice HTTP/1.1\n\n');
  const outcome = sb.runBatch([a, b, c]);
  assert.deepEqual(
    outcome.outputs.map((o, k) => [outcome.sources[k], o.id, text(o)]),
    [
      [1, b.id, 'GET /keep HTTP/1.1\nkept: 1\n\n'],
      [2, c.id, 'GET /twice HTTP/1.1\n\n'],
      [2, 'c'.repeat(24), 'GET /copy HTTP/1.1\n\n'],
    ],
  );
});

test('a hook that fails after passing on part of an array loses all of that message, and only it', { timeout: 10000 }, (t) => {
  const sb = sandbox(`
    export function request(req) {
      req.headers.set('X-Seen', req.path);
      const copy = req.clone();
      copy.id = 'c'.repeat(24);
      if (req.path === '/bad') return [req, copy, 'not a message'];
      return [req, copy];
    }`);
  t.after(() => sb.dispose());
  const batch = [request('GET /a HTTP/1.1\n\n'), request('GET /bad HTTP/1.1\n\n'), request('GET /c HTTP/1.1\n\n')];
  const outcome = sb.runBatch(batch);
  assert.deepEqual(
    outcome.outputs.map((o, k) => [outcome.sources[k], o.id, text(o)]),
    [
      [0, batch[0]!.id, 'GET /a HTTP/1.1\nX-Seen: /a\n\n'],
      [0, 'c'.repeat(24), 'GET /a HTTP/1.1\nX-Seen: /a\n\n'],
      [2, batch[2]!.id, 'GET /c HTTP/1.1\nX-Seen: /c\n\n'],
      [2, 'c'.repeat(24), 'GET /c HTTP/1.1\nX-Seen: /c\n\n'],
    ],
  );
  assert.deepEqual(
    outcome.failures.map((f) => [f.index, f.kind]),
    [[1, 'error']],
  );
  assert.match(outcome.failures[0]!.message, /array holding something other than a message/);
});

test('module state maps tokens from original to replayed responses and rewrites later requests', { timeout: 10000 }, (t) => {
  const sb = sandbox(`
    const tokens = new Map();
    const tokenOf = (res) => /"token":"([^"]+)"/.exec(res.body)?.[1];
    export function request(req) {
      const auth = req.headers.get('authorization');
      const staging = auth && tokens.get(auth.slice(7));
      if (staging) req.headers.set('Authorization', 'Bearer ' + staging);
      return req;
    }
    export function replayedResponse(res, req, original) {
      if (req && req.path === '/login' && original) {
        const from = tokenOf(original); const to = tokenOf(res);
        if (from && to) { tokens.set(from, to); console.log('mapped', from, 'to', to); }
      }
      return res;
    }`);
  t.after(() => sb.dispose());
  const login = request('POST /login HTTP/1.1\nHost: a\n\n');
  sb.runBatch([login, response('response', login.id, 'HTTP/1.1 200 OK\nContent-Length: 16\n\n{"token":"prod"}')]);
  const second = sb.runBatch([response('replayed-response', login.id, 'HTTP/1.1 200 OK\nContent-Length: 19\n\n{"token":"staging"}')]);
  assert.deepEqual(second.logs, ['info mapped prod to staging']);
  const later = outputs(sb, [
    request('GET /me HTTP/1.1\nAuthorization: Bearer prod\n\n'),
    request('GET /me HTTP/1.1\nAuthorization: Bearer other\n\n'),
  ]);
  assert.deepEqual(later, ['GET /me HTTP/1.1\nAuthorization: Bearer staging\n\n', 'GET /me HTTP/1.1\nAuthorization: Bearer other\n\n']);
});

test('response hooks see the status and the request of the same id', { timeout: 10000 }, (t) => {
  const sb = sandbox(`
    export function response(res, req) {
      if (res.status >= 500) return null;
      res.headers.set('x-for', req ? req.method + ' ' + req.path : 'unknown');
      return res;
    }`);
  t.after(() => sb.dispose());
  const req = request('GET /a HTTP/1.1\n\n');
  const out = outputs(sb, [
    req,
    response('response', req.id, 'HTTP/1.1 200 OK\nContent-Length: 0\n\n'),
    response('response', 'e'.repeat(24), 'HTTP/1.1 503 Busy\n\n'),
  ]);
  assert.deepEqual(out, ['GET /a HTTP/1.1\n\n', 'HTTP/1.1 200 OK\nContent-Length: 0\nx-for: GET /a\n\n']);
});

test('a throw affects only the message in hand and is located at the script line', { timeout: 10000 }, (t) => {
  const sb = sandbox(`export function request(req) {
  if (req.path === '/bad') {
    throw new Error('no bad paths');
  }
  req.headers.set('ok', '1');
  return req;
}`);
  t.after(() => sb.dispose());
  const outcome = sb.runBatch([request('GET /a HTTP/1.1\n\n'), request('GET /bad HTTP/1.1\n\n'), request('GET /c HTTP/1.1\n\n')]);
  assert.deepEqual(outcome.sources, [0, 2]);
  assert.equal(outcome.failures.length, 1);
  const f = outcome.failures[0]!;
  assert.equal(f.index, 1);
  assert.equal(f.kind, 'error');
  assert.match(f.message, /request\(\) threw Error: no bad paths/);
  assert.equal(f.location, `${sb.file}:3:11`);
  assert.equal(outcome.rebuilds, 0);
});

test('an endless loop times out on its message only, the isolate is rebuilt, and the rest of the batch runs', { timeout: 20000 }, (t) => {
  const sb = sandbox(
    `let seen = 0;
export function request(req) { seen++; if (req.path === '/loop') for (;;) {} req.headers.set('seen', String(seen)); return req; }`,
    { timeLimitMs: 100 },
  );
  t.after(() => sb.dispose());
  const outcome = sb.runBatch([
    request('GET /a HTTP/1.1\n\n'),
    request('GET /loop HTTP/1.1\n\n'),
    request('GET /b HTTP/1.1\n\n'),
    request('GET /c HTTP/1.1\n\n'),
  ]);
  assert.deepEqual(
    outcome.outputs.map((o, k) => [outcome.sources[k], text(o)]),
    [
      [0, 'GET /a HTTP/1.1\nseen: 1\n\n'],
      // The rebuilt isolate starts with fresh module state.
      [2, 'GET /b HTTP/1.1\nseen: 1\n\n'],
      [3, 'GET /c HTTP/1.1\nseen: 2\n\n'],
    ],
  );
  assert.deepEqual(
    outcome.failures.map((f) => [f.index, f.kind, f.location]),
    [[1, 'timeout', sb.file]],
  );
  assert.equal(outcome.rebuilds, 1);
  assert.equal(
    outputs(sb, [request('GET /d HTTP/1.1\n\n')])[0],
    'GET /d HTTP/1.1\nseen: 3\n\n',
    'the script keeps working, with its state',
  );
});

test('a script that allocates without end loses only the message in hand', { timeout: 60000 }, (t) => {
  const sb = sandbox(
    `const hoard = [];
export function request(req) { if (req.path === '/hog') for (;;) hoard.push('x'.repeat(1024) + Math.random()); return req; }`,
    { memoryLimitMb: 16, timeLimitMs: 20000 },
  );
  t.after(() => sb.dispose());
  const outcome = sb.runBatch([request('GET /a HTTP/1.1\n\n'), request('GET /hog HTTP/1.1\n\n'), request('GET /b HTTP/1.1\n\n')]);
  assert.deepEqual(outcome.sources, [0, 2]);
  assert.deepEqual(
    outcome.failures.map((f) => [f.index, f.kind]),
    [[1, 'memory']],
  );
  assert.match(outcome.failures[0]!.message, /memory limit of 16 MB/);
  assert.deepEqual(outputs(sb, [request('GET /z HTTP/1.1\n\n')]), ['GET /z HTTP/1.1\n\n']);
});

test('the sandbox has no process, require, timers, network or host escape through constructors', { timeout: 10000 }, (t) => {
  const sb = sandbox(`
    const probe = (f) => { try { return String(f()); } catch (e) { return 'blocked: ' + e.name; } };
    export function request(req) {
      req.headers.set('process', probe(() => typeof process));
      req.headers.set('require', probe(() => typeof require));
      req.headers.set('timers', probe(() => typeof setTimeout + ',' + typeof setInterval + ',' + typeof queueMicrotask));
      req.headers.set('network', probe(() => typeof fetch + ',' + typeof XMLHttpRequest + ',' + typeof WebSocket));
      req.headers.set('escape', probe(() => req.constructor.constructor('return typeof process')()));
      req.headers.set('escape2', probe(function () { return this.constructor.constructor('return process')(); }.bind(req)));
      req.headers.set('escape3', probe(() => req.headers.constructor.constructor('return globalThis.process && process.mainModule')()));
      req.headers.set('import', probe(() => typeof import.meta));
      return req;
    }`);
  t.after(() => sb.dispose());
  const [out] = outputs(sb, [request('GET / HTTP/1.1\n\n')]);
  assert.match(out!, /\nprocess: undefined\n/);
  assert.match(out!, /\nrequire: undefined\n/);
  assert.match(out!, /\ntimers: undefined,undefined,undefined\n/);
  assert.match(out!, /\nnetwork: undefined,undefined,undefined\n/);
  assert.match(out!, /\nescape: undefined\n/);
  assert.match(out!, /\nescape2: blocked: ReferenceError\n/);
  assert.match(out!, /\nescape3: undefined\n/);
});

test('a dynamic import or a static import cannot load anything', { timeout: 10000 }, async (t) => {
  assert.throws(
    () => sandbox(`import fs from 'node:fs'; export function request(r) { return r; }`),
    (e: unknown) => e instanceof RepriseError && e.code === 'RPR_SCRIPT_FAILED' && /imports are not available/.test(e.message),
  );
  const sb = sandbox(`let result = 'none';
    export function request(req) { import('node:fs').then(() => { result = 'loaded'; }, (e) => { result = 'refused'; }); req.headers.set('r', result); return req; }`);
  t.after(() => sb.dispose());
  const out = outputs(sb, [request('GET / HTTP/1.1\n\n'), request('GET / HTTP/1.1\n\n')]);
  assert.doesNotMatch(out.join(''), /loaded/);
});

test('a script with a syntax error or without hooks is refused at start with its file and line', { timeout: 10000 }, () => {
  assert.throws(
    () => sandbox(`export function request(req) {\n  return req +;\n}`),
    (e: unknown) => e instanceof RepriseError && e.code === 'RPR_SCRIPT_FAILED' && /script-\d+\.js:2/.test(e.message),
  );
  assert.throws(() => sandbox(`export const x = 1;`), /exports none of request, response, replayedResponse/);
});

test('reading only the path parses the request line only, not the headers or the body', { timeout: 10000 }, (t) => {
  // _headers and _body are the view's lazy caches: null until a script reads headers or body.
  const sb = sandbox(`export function request(req) {
    const isApi = req.path.startsWith('/api');
    const lazy = req._headers === null && req._body === null;
    req.headers.get('host');
    const parsedOnDemand = req._headers !== null;
    if (!lazy || !parsedOnDemand) throw new Error('not lazy: ' + lazy + ' ' + parsedOnDemand);
    return isApi ? req : null;
  }`);
  t.after(() => sb.dispose());
  const api = request('GET /api/x HTTP/1.1\nHost: a\n\nbody');
  const outcome = sb.runBatch([api, request('GET /other HTTP/1.1\n\n')]);
  assert.deepEqual(outcome.failures, []);
  assert.deepEqual(
    outcome.outputs.map((o) => o),
    [api],
  );
});

test('each view reads its own id, whether the batch ids have the usual 24 digits or not', { timeout: 10000 }, (t) => {
  // Ids of 24 characters are read from the batch's id string only when a script asks; others are split up front.
  const sb = sandbox(`export function request(req) {
    req.headers.set('X-Id', req.id);
    if (req.path === '/same') req.id = req.id;
    return req;
  }`);
  t.after(() => sb.dispose());
  const usual = ['a'.repeat(24), 'b'.repeat(24), '0123456789abcdef01234567'];
  const mixed = ['c'.repeat(24), 'd'.repeat(24), 'short', 'e'.repeat(30), 'f'.repeat(24)];
  for (const ids of [usual, mixed]) {
    const batch = ids.map((id, i) => request(`GET /${i === 1 ? 'same' : i} HTTP/1.1\nHost: a\n\n`, id));
    const outcome = sb.runBatch(batch);
    assert.deepEqual(
      outcome.outputs.map((o) => [o.id, /X-Id: (\S+)/.exec(text(o))?.[1]]),
      ids.map((id) => [id, id]),
    );
  }
});

test('binary bodies survive untouched and can be replaced through bytes', { timeout: 10000 }, (t) => {
  const sb = sandbox(`export function request(req) { const b = req.bytes; req.bytes = b.map((x) => 255 - x); return req; }`);
  t.after(() => sb.dispose());
  const body = Buffer.from([0, 1, 2, 200, 255, 13, 10]);
  const input: Message = {
    ...request('POST /bin HTTP/1.1\nContent-Length: 7\n\n'),
    payload: Buffer.concat([Buffer.from('POST /bin HTTP/1.1\r\nContent-Length: 7\r\n\r\n'), body]),
  };
  const out = sb.runBatch([input]).outputs[0]!.payload;
  assert.deepEqual(
    [...out.subarray(out.length - 7)],
    [...body].map((x) => 255 - x),
  );
});

test('the component applies the error policy: pass keeps the message, drop loses it, stop throws', { timeout: 20000 }, async () => {
  const file = script(
    `export function request(req) { if (req.path === '/bad') throw new TypeError('nope'); req.headers.set('ok', '1'); return req; }`,
  );
  const batch = () => [request('GET /a HTTP/1.1\n\n'), request('GET /bad HTTP/1.1\n\n')];
  for (const onError of ['pass', 'drop', 'stop'] as const) {
    const ctx = recordingContext('middleware-script');
    const instance = await middlewareScript.create(file, { memoryLimit: 32, timeout: '200ms', onError, logRate: 20 }, ctx);
    try {
      const input = batch();
      if (onError === 'stop') {
        await assert.rejects(
          async () => instance.process(input),
          (e: unknown) => e instanceof RepriseError && e.code === 'RPR_SCRIPT_FAILED' && e.messageId === input[1]!.id,
        );
        continue;
      }
      const out = (await instance.process(input)) as Message[];
      if (onError === 'pass') assert.deepEqual(out.map(text), ['GET /a HTTP/1.1\nok: 1\n\n', 'GET /bad HTTP/1.1\n\n']);
      else assert.deepEqual(out.map(text), ['GET /a HTTP/1.1\nok: 1\n\n']);
      assert.equal(ctx.counters.get('failed'), 1);
      assert.equal(ctx.counters.get('script-errors'), 1);
      assert.ok(ctx.logs.some((l) => l.level === 'warn' && l.message.includes(`${file}:1:`) && l.message.includes('TypeError: nope')));
    } finally {
      await instance.close?.();
    }
  }
});

test("console output reaches the log as the script's own lines (shown even with --quiet), rate-limited", { timeout: 10000 }, async () => {
  const ctx = recordingContext('middleware-script');
  const file = script(`export function request(req) { console.log('saw', req.path, { n: 1 }); return req; }`);
  const instance = await middlewareScript.create(file, { memoryLimit: 32, timeout: '200ms', onError: 'pass', logRate: 3 }, ctx);
  try {
    await instance.process(Array.from({ length: 10 }, (_, i) => request(`GET /${i} HTTP/1.1\n\n`)));
    const lines = ctx.logs.filter((l) => l.level === 'print').map((l) => l.message);
    assert.deepEqual(lines, [`[${file}] info saw /0 {"n":1}`, `[${file}] info saw /1 {"n":1}`, `[${file}] info saw /2 {"n":1}`]);
  } finally {
    await instance.close?.();
  }
});

test('responses expose status, headers and timestamps, and can be changed', { timeout: 10000 }, (t) => {
  const sb = sandbox(`export function response(res) {
    if (typeof res.timestamp !== 'bigint') throw new Error('timestamp is not a bigint');
    res.headers.set('x-ts', String(res.timestamp));
    if (res.status === 404) { res.status = 200; res.statusText = 'OK'; res.body = 'found'; }
    return res;
  }`);
  t.after(() => sb.dispose());
  const notFound = response('response', 'a'.repeat(24), 'HTTP/1.1 404 Not Found\nContent-Length: 0\n\n');
  const [out] = outputs(sb, [notFound]);
  assert.equal(out, `HTTP/1.1 200 OK\nContent-Length: 5\nx-ts: ${notFound.timestamp}\n\nfound`);
});

test('setting headers keeps existing ones in place and completes a head that lacks its blank line', { timeout: 10000 }, (t) => {
  const sb = sandbox(`export function request(req) { req.headers.set('host', 'staging'); req.headers.set('X-New', '1'); return req; }`);
  t.after(() => sb.dispose());
  const truncated: Message = { ...request('GET / HTTP/1.1\n\n'), payload: Buffer.from('GET /t HTTP/1.1\r\nAccept: */*') };
  const out = outputs(sb, [request('GET / HTTP/1.1\nHost: prod\nAccept: */*\n\n'), truncated]);
  assert.deepEqual(out, [
    'GET / HTTP/1.1\nHost: staging\nAccept: */*\nX-New: 1\n\n',
    'GET /t HTTP/1.1\nAccept: */*\nhost: staging\nX-New: 1\n\n',
  ]);
  const added = sandbox(`export function request(req) { req.headers.set('X-New', '1'); return req; }`);
  t.after(() => added.dispose());
  assert.deepEqual(outputs(added, [truncated]), ['GET /t HTTP/1.1\nAccept: */*\nX-New: 1\n\n']);
});

test('a header is found by its whole name in any ASCII case, in the head only, and nothing else matches it', { timeout: 10000 }, (t) => {
  const sb = sandbox(`export function request(req) {
    req.headers.set('X-Seen', JSON.stringify([req.headers.has('x-env'), req.headers.get('X-ENV'), req.headers.get('x_env.2')]));
    req.headers.set('X-Env', 'new');
    req.headers.set('X_Env.2', 'n2');
    return req;
  }`);
  t.after(() => sb.dispose());
  const raw = (bytes: string): Message => ({ ...request('GET / HTTP/1.1\n\n'), payload: Buffer.from(bytes, 'latin1') });
  const out = outputs(sb, [
    // A longer name that starts with it, and a name that differs from it by a control character.
    raw('GET / HTTP/1.1\r\nX-Env-Extra: 1\r\nX\rEnv: 2\r\nHost: a\r\n\r\n'),
    raw('GET / HTTP/1.1\r\nx-eNV:  v1 \r\nX_ENV.2: u\r\n\r\n'),
    // After the blank line it is body.
    raw('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 13\r\n\r\nX-Env: inbody'),
    raw('GET / HTTP/1.1\nHost: a\nX-Env: lf\n\n'),
    // A line starting with CR that is not the blank line.
    raw('GET / HTTP/1.1\r\n\rX-Env: odd\r\nHost: a\r\n\r\n'),
  ]);
  assert.deepEqual(out, [
    'GET / HTTP/1.1\nX-Env-Extra: 1\nX\rEnv: 2\nHost: a\nX-Seen: [false,null,null]\nX-Env: new\nX_Env.2: n2\n\n',
    'GET / HTTP/1.1\nx-eNV: new\nX_ENV.2: n2\nX-Seen: [true,"v1","u"]\n\n',
    'POST / HTTP/1.1\nHost: a\nContent-Length: 13\nX-Seen: [false,null,null]\nX-Env: new\nX_Env.2: n2\n\nX-Env: inbody',
    'GET / HTTP/1.1\nHost: a\nX-Env: new\nX-Seen: [true,"lf",null]\nX_Env.2: n2\n\n',
    'GET / HTTP/1.1\n\rX-Env: odd\nHost: a\nX-Seen: [false,null,null]\nX-Env: new\nX_Env.2: n2\n\n',
  ]);
});

test('a batch that is slow as a whole is not blamed on one message: the message in hand gets its own call', { timeout: 30000 }, (t) => {
  // Each message takes 20 ms; 15 of them exceed the 150 ms limit of one call, yet none exceeds it alone.
  const sb = sandbox(`export function request(req) { const end = Date.now() + 20; while (Date.now() < end) {} return req; }`, {
    timeLimitMs: 150,
  });
  t.after(() => sb.dispose());
  const batch = Array.from({ length: 15 }, (_, i) => request(`GET /${i} HTTP/1.1\n\n`));
  const outcome = sb.runBatch(batch);
  assert.deepEqual(outcome.failures, []);
  assert.deepEqual(
    outcome.sources,
    batch.map((_, i) => i),
  );
});

test('a script cannot replace the built-ins the runtime relies on', { timeout: 10000 }, (t) => {
  assert.throws(
    () => sandbox(`Array.prototype.push = function () { return 0; };\nexport function request(req) { return req; }`),
    (e: unknown) => e instanceof RepriseError && e.code === 'RPR_SCRIPT_FAILED' && /script-\d+\.js:1/.test(e.message),
  );
  const sb = sandbox(`export function request(req) { if (req.path === '/patch') Object.prototype.polluted = 1; return req; }`);
  t.after(() => sb.dispose());
  const outcome = sb.runBatch([request('GET /patch HTTP/1.1\n\n'), request('GET /fine HTTP/1.1\n\n')]);
  assert.deepEqual(
    outcome.failures.map((f) => [f.index, f.kind]),
    [[0, 'error']],
  );
  assert.match(outcome.failures[0]!.message, /TypeError/);
  assert.deepEqual(outcome.sources, [1]);
});

test('an async hook is reported as such, since hooks must answer synchronously', { timeout: 10000 }, (t) => {
  const sb = sandbox(`export async function request(req) { return req; }`);
  t.after(() => sb.dispose());
  const outcome = sb.runBatch([request('GET / HTTP/1.1\n\n')]);
  assert.equal(outcome.outputs.length, 0);
  assert.match(outcome.failures[0]!.message, /must be synchronous: it returned a promise/);
});

test('a script file that does not exist is an input error naming the file', { timeout: 10000 }, () => {
  const missing = join(dir, 'missing.js');
  assert.throws(
    () => new ScriptSandbox({ file: missing, memoryLimitMb: 32, timeLimitMs: 100 }),
    (e: unknown) => e instanceof RepriseError && e.code === 'RPR_INPUT_NOT_FOUND' && e.message.includes(missing),
  );
});

test('outputs sent whole never share their bytes, even when equal (a header added the same way to many is sent back once)', () => {
  const sb = sandbox(`export function request(req) {
  if (req.path === '/twice') return [req.clone(), req.clone()];
  req.headers.set('X-Env', 'staging');
  return req;
}`);
  const outcome = sb.runBatch([request('GET /twice HTTP/1.1\n\n'), request('GET /a HTTP/1.1\n\n'), request('GET /bb HTTP/1.1\n\n')]);
  assert.deepEqual(
    outcome.outputs.map((o) => text(o)),
    ['GET /twice HTTP/1.1\n\n', 'GET /twice HTTP/1.1\n\n', 'GET /a HTTP/1.1\nX-Env: staging\n\n', 'GET /bb HTTP/1.1\nX-Env: staging\n\n'],
  );
  const [first, second] = outcome.outputs;
  assert.notEqual(first!.payload.byteOffset, second!.payload.byteOffset, 'each whole payload has bytes of its own');
  sb.dispose();
});

test('header values read as UTF-8 text; bytes that are not UTF-8 read one char per byte and go back out as UTF-8', {
  timeout: 10000,
}, (t) => {
  const sb = sandbox(`export function request(req) {
    const utf8 = req.headers.get('x-utf8'), latin1 = req.headers.get('x-latin1');
    console.log(JSON.stringify([utf8, latin1]));
    req.headers.set('x-utf8', utf8);
    req.headers.set('x-latin1', latin1);
    return req;
  }`);
  t.after(() => sb.dispose());
  const head = (utf8: Buffer, latin1: Buffer) =>
    Buffer.concat([Buffer.from('GET / HTTP/1.1\r\nX-Utf8: '), utf8, Buffer.from('\r\nX-Latin1: '), latin1, Buffer.from('\r\n\r\n')]);
  const input = { ...request('GET / HTTP/1.1\n\n'), payload: head(Buffer.from('café', 'utf8'), Buffer.from('café', 'latin1')) };
  const outcome = sb.runBatch([input]);
  assert.deepEqual(outcome.logs, [`info ${JSON.stringify(['café', 'café'])}`]);
  // What SCRIPTS.md says: the UTF-8 value is unchanged, the latin1 one is now UTF-8.
  assert.deepEqual(Buffer.from(outcome.outputs[0]!.payload), head(Buffer.from('café', 'utf8'), Buffer.from('café', 'utf8')));
});
