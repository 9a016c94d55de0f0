import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScriptSandbox } from '../src/script-sandbox.js';
import { ScriptStore } from '../src/script-store.js';
import { request, response, text } from './context.js';

const dir = mkdtempSync(join(tmpdir(), 'reprise-store-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function sandbox(
  code: string,
  options: { timeLimitMs?: number; memoryLimitMb?: number; maxKeys?: number; maxChars?: number } = {},
): ScriptSandbox {
  const file = join(dir, `store-${++n}.js`);
  writeFileSync(file, code);
  return new ScriptSandbox({
    file,
    memoryLimitMb: options.memoryLimitMb ?? 32,
    timeLimitMs: options.timeLimitMs ?? 200,
    storeLimits: { maxKeys: options.maxKeys ?? 10_000, maxChars: options.maxChars ?? 1_000_000 },
  });
}

test('store keeps JSON values by key: get, set, has, delete; a missing key reads undefined', { timeout: 10000 }, (t) => {
  const sb = sandbox(`export function request(req) {
    const key = req.path.slice(1);
    if (req.method === 'PUT') store.set(key, { n: Number(req.body), list: [1, 'two', null], ok: true });
    if (req.method === 'DELETE') req.headers.set('x-deleted', String(store.delete(key)));
    req.headers.set('x-has', String(store.has(key)));
    req.headers.set('x-value', JSON.stringify(store.get(key)) ?? 'undefined');
    return req;
  }`);
  t.after(() => sb.dispose());
  const out = sb
    .runBatch([
      request('GET /a HTTP/1.1\n\n'),
      request('PUT /a HTTP/1.1\nContent-Length: 2\n\n42'),
      request('GET /a HTTP/1.1\n\n'),
      request('DELETE /a HTTP/1.1\n\n'),
      request('DELETE /a HTTP/1.1\n\n'),
    ])
    .outputs.map((o) =>
      text(o)
        .split('\n')
        .filter((l) => l.startsWith('x-')),
    );
  const stored = '{"n":42,"list":[1,"two",null],"ok":true}';
  assert.deepEqual(out, [
    ['x-has: false', 'x-value: undefined'],
    ['x-has: true', `x-value: ${stored}`],
    ['x-has: true', `x-value: ${stored}`],
    ['x-deleted: true', 'x-has: false', 'x-value: undefined'],
    ['x-deleted: false', 'x-has: false', 'x-value: undefined'],
  ]);
  assert.equal(sb.storeSize, 0);
});

test('store survives a timeout that rebuilds the isolate; module state does not', { timeout: 20000 }, (t) => {
  const sb = sandbox(
    `let moduleToken = null;
    export function response(res, req) {
      if (req?.path === '/login') { const token = JSON.parse(res.body).token; store.set('token', token); moduleToken = token; }
      return res;
    }
    export function request(req) {
      if (req.path === '/slow') for (;;) {}
      req.headers.set('x-store', store.get('token') ?? 'none');
      req.headers.set('x-module', moduleToken ?? 'none');
      return req;
    }`,
    { timeLimitMs: 50 },
  );
  t.after(() => sb.dispose());
  const login = request('POST /login HTTP/1.1\n\n');
  const first = sb.runBatch([login, response('response', login.id, 'HTTP/1.1 200 OK\n\n{"token":"abc"}'), request('GET /me HTTP/1.1\n\n')]);
  assert.match(text(first.outputs[2]!), /x-store: abc\nx-module: abc/);
  const second = sb.runBatch([request('GET /slow HTTP/1.1\n\n'), request('GET /me HTTP/1.1\n\n')]);
  assert.equal(second.rebuilds, 1);
  assert.deepEqual(
    second.failures.map((f) => f.kind),
    ['timeout'],
  );
  assert.match(text(second.outputs[0]!), /x-store: abc\nx-module: none/);
});

test('store is per script: two sandboxes do not share keys', { timeout: 10000 }, (t) => {
  const code = `export function request(req) { const seen = store.get('seen') ?? 0; store.set('seen', seen + 1); req.headers.set('x-seen', String(seen)); return req; }`;
  const a = sandbox(code);
  const b = sandbox(code);
  t.after(() => {
    a.dispose();
    b.dispose();
  });
  a.runBatch([request('GET / HTTP/1.1\n\n'), request('GET / HTTP/1.1\n\n')]);
  assert.match(text(b.runBatch([request('GET / HTTP/1.1\n\n')]).outputs[0]!), /x-seen: 0/);
});

test('store bounds: a write past the key or size limit throws for that call only, with a clear message', { timeout: 10000 }, (t) => {
  const sb = sandbox(
    `export function request(req) {
    const [, key, size] = req.path.split('/');
    store.set(key, 'x'.repeat(Number(size)));
    return req;
  }`,
    { maxKeys: 2, maxChars: 100 },
  );
  t.after(() => sb.dispose());
  const outcome = sb.runBatch([
    request('GET /a/10 HTTP/1.1\n\n'),
    request('GET /b/10 HTTP/1.1\n\n'),
    request('GET /c/10 HTTP/1.1\n\n'),
    request('GET /a/200 HTTP/1.1\n\n'),
    request('GET /a/20 HTTP/1.1\n\n'),
  ]);
  assert.deepEqual(outcome.sources, [0, 1, 4]);
  assert.deepEqual(
    outcome.failures.map((f) => [f.index, f.kind]),
    [
      [2, 'error'],
      [3, 'error'],
    ],
  );
  assert.match(outcome.failures[0]!.message, /RangeError: store\.set\("c"\): the store is full \(2 keys\)/);
  assert.match(
    outcome.failures[1]!.message,
    /RangeError: store\.set\("a"\): the store would hold \d+ characters of keys and JSON, more than its 100/,
  );
  assert.equal(sb.storeSize, 2);
});

test('store refuses what is not JSON and keys that are not strings', { timeout: 10000 }, (t) => {
  const sb = sandbox(`export function request(req) {
    if (req.path === '/fn') store.set('k', () => 1);
    if (req.path === '/key') store.get(42);
    if (req.path === '/big') store.set('k', 1n);
    return req;
  }`);
  t.after(() => sb.dispose());
  const outcome = sb.runBatch([request('GET /fn HTTP/1.1\n\n'), request('GET /key HTTP/1.1\n\n'), request('GET /big HTTP/1.1\n\n')]);
  assert.deepEqual(
    outcome.failures.map((f) => f.message.split(': ').slice(1).join(': ')),
    [
      'store.set("k"): the value must be JSON (not undefined, a function or a symbol)',
      'store.get(): a key is a string, not number',
      'Do not know how to serialize a BigInt',
    ],
  );
});

test('reads are served from a bounded mirror in the isolate and stay right after writes, deletes and many misses', {
  timeout: 20000,
}, (t) => {
  const sb = sandbox(`export function request(req) {
    const key = req.path.slice(1);
    if (req.method === 'PUT') store.set(key, key.length);
    if (req.method === 'DELETE') store.delete(key);
    if (req.method === 'PROBE') for (let i = 0; i < 25000; i++) if (store.has('missing-' + i)) throw new Error('a missing key is there');
    req.headers.set('x-value', JSON.stringify(store.get(key)) ?? 'undefined');
    return req;
  }`);
  t.after(() => sb.dispose());
  const values = sb
    .runBatch([
      request('GET /abc HTTP/1.1\n\n'),
      request('PUT /abc HTTP/1.1\n\n'),
      request('GET /abc HTTP/1.1\n\n'),
      request('PROBE /abc HTTP/1.1\n\n'),
      request('DELETE /abc HTTP/1.1\n\n'),
      request('GET /abc HTTP/1.1\n\n'),
    ])
    .outputs.map((o) => /x-value: (.*)/.exec(text(o))?.[1]);
  assert.deepEqual(values, ['undefined', '3', '3', '3', 'undefined', 'undefined']);
});

test('the host store counts keys and characters, replacing a value frees the old one', () => {
  const store = new ScriptStore({ maxKeys: 1, maxChars: 10 });
  assert.equal(store.set('ab', '"xyz"'), undefined);
  assert.equal(store.set('ab', '"12345"'), undefined, 'replacing is not a new key, and 2 + 7 fits in 10');
  assert.match(store.set('ab', '"123456789"') ?? '', /more than its 10/);
  assert.equal(store.get('ab'), '"12345"', 'a refused write leaves the old value');
  assert.match(store.set('cd', '1') ?? '', /full \(1 keys\)/);
  assert.equal(store.delete('ab'), true);
  assert.equal(store.set('cd', '"123456"'), undefined, 'deleting freed the key and its characters');
});

test("the host's copy: filled from entries, applies a call's net changes, and says when the result is out of bounds", () => {
  const copy = new ScriptStore({ maxKeys: 2, maxChars: 20 }, [['a', '1']]);
  assert.deepEqual(copy.all(), [['a', '1']]);
  assert.equal(
    copy.apply([
      ['b', '"bb"'],
      ['a', null],
      ['c', '3'],
    ]),
    true,
    'a delete in the same call makes room for the third key',
  );
  assert.deepEqual(copy.all(), [
    ['b', '"bb"'],
    ['c', '3'],
  ]);
  assert.equal(copy.apply([['d', '4']]), false, 'three keys: the isolate would have refused this');
  assert.equal(copy.replace([['z', '"' + 'z'.repeat(30) + '"']]), false, 'more characters than the bound');
  assert.equal(copy.replace([['z', '0']]), true);
  assert.equal(copy.size, 1);
});

test('the default bounds are the documented 10,000 keys and 1,000,000 characters', { timeout: 20000 }, (t) => {
  const file = join(dir, `store-${++n}.js`);
  writeFileSync(
    file,
    `export function request(req) {
    if (req.path === '/fill') for (let i = 0; i < 10000; i++) store.set('k' + i, 1);
    if (req.path === '/one-more') store.set('one-more', 1);
    if (req.path === '/big') { store.delete('k0'); store.set('k0', 'x'.repeat(1000000)); }
    return req;
  }`,
  );
  const sb = new ScriptSandbox({ file, memoryLimitMb: 64, timeLimitMs: 5000 });
  t.after(() => sb.dispose());
  const outcome = sb.runBatch([request('GET /fill HTTP/1.1\n\n'), request('GET /one-more HTTP/1.1\n\n'), request('GET /big HTTP/1.1\n\n')]);
  assert.deepEqual(outcome.sources, [0]);
  assert.match(outcome.failures[0]!.message, /the store is full \(10000 keys\)/);
  assert.match(outcome.failures[1]!.message, /more than its 1000000/);
});
