// Every field a script sets is checked where it crosses into the message: an invalid value is an error
// for that message (dropped, counted, named), never a corrupt output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecords, GorDecoder, type GorDecoded, type Message } from '@reprise/core';
import { ScriptSandbox } from '../src/script-sandbox.js';
import { middlewareScript } from '../src/script-component.js';
import { recordingContext, request, response, text } from './context.js';

const dir = mkdtempSync(join(tmpdir(), 'reprise-fields-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function script(code: string): string {
  const file = join(dir, `fields-${++n}.js`);
  writeFileSync(file, code);
  return file;
}

/** What a .gor reader finds in the bytes: records and corrupt spans alike. */
function decodeGor(bytes: Buffer): GorDecoded[] {
  const decoder = new GorDecoder();
  const decoded = decoder.push(bytes);
  decoder.end(decoded);
  return decoded;
}

const FORGED_ID = `ab\n1 ${'c'.repeat(24)} 1 0\nGET /injected HTTP/1.1\n\n`;

test('each invalid field fails its own message with a message naming the field; valid ones pass', { timeout: 10000 }, (t) => {
  const sb = new ScriptSandbox({
    file: script(`export function request(req) {
      const field = req.path.slice(1);
      const value = JSON.parse(req.body);
      if (field === 'header-name') req.headers.set(value, 'x');
      else if (field === 'header-value') req.headers.append('X-Ok', value);
      else if (field === 'id') req.id = value;
      else req[field] = value;
      return req;
    }
    export function response(res) { const [field, value] = JSON.parse(res.body); res[field] = value; return res; }`),
    memoryLimitMb: 32,
    timeLimitMs: 200,
  });
  t.after(() => sb.dispose());
  const set = (field: string, value: unknown) => request(`POST /${field} HTTP/1.1\n\n${JSON.stringify(value)}`);
  const batch: Message[] = [
    set('id', FORGED_ID),
    set('id', 'not-hex'),
    set('id', 'ABCDEF0123456789ABCDEF01'),
    set('id', '0123456789abcdef01234567'),
    set('header-name', 'X-Bad\r\nInjected'),
    set('header-name', 'Bad Name'),
    set('header-value', 'a\r\nInjected: 1'),
    set('header-value', 'fine value'),
    set('header-value', 'a\x01b'),
    set('header-value', 'tab\tand caf\u00e9 \u2603'),
    set('method', 'GET /x HTTP/1.1\r\n'),
    set('method', 'PURGE'),
    set('url', '/a b'),
    set('url', '/a\n'),
    set('url', '/fine?x=1'),
    response('response', 'a'.repeat(24), 'HTTP/1.1 200 OK\n\n["status", 99]'),
    response('response', 'a'.repeat(24), 'HTTP/1.1 200 OK\n\n["status", 1000]'),
    response('response', 'a'.repeat(24), 'HTTP/1.1 200 OK\n\n["status", 201.5]'),
    response('response', 'a'.repeat(24), 'HTTP/1.1 200 OK\n\n["status", 599]'),
    response('response', 'a'.repeat(24), 'HTTP/1.1 200 OK\n\n["statusText", "OK\\r\\nX: 1"]'),
    response('response', 'a'.repeat(24), 'HTTP/1.1 200 OK\n\n["statusText", "OK\\u007f"]'),
    // Above U+00FF: written as latin1, U+010A would keep only its low byte, a line feed.
    set('url', '/a\u010aX-Injected:\u0120yes'),
    response('response', 'a'.repeat(24), 'HTTP/1.1 200 OK\n\n["statusText", "OK\\u010aX-Evil: 1"]'),
  ];
  const outcome = sb.runBatch(batch);
  assert.deepEqual(outcome.sources, [3, 7, 9, 11, 14, 18]);
  assert.deepEqual(
    outcome.failures.map((f) => f.kind),
    Array(17).fill('invalid'),
  );
  const messages = outcome.failures.map((f) => f.message);
  assert.match(messages[0]!, /^request\(\) threw InvalidFieldError: invalid req\.id "ab\\n1 c+.*: an id is 24 lowercase hex digits$/);
  assert.match(messages[1]!, /invalid req\.id "not-hex": an id is 24 lowercase hex digits/);
  assert.match(messages[3]!, /invalid header name "X-Bad\\r\\nInjected": a header name is a token/);
  assert.match(
    messages[5]!,
    /invalid value of header X-Ok "a\\r\\nInjected: 1": a header value cannot contain control characters other than tab/,
  );
  assert.match(messages[6]!, /invalid value of header X-Ok "a\\u0001b": a header value cannot contain control characters other than tab/);
  assert.match(messages[7]!, /invalid req\.method/);
  assert.match(messages[8]!, /invalid req\.url "\/a b"/);
  assert.match(messages[10]!, /invalid res\.status "99": a status is an integer from 100 to 999/);
  assert.match(messages[13]!, /invalid res\.statusText "OK\\r\\nX: 1": a status text cannot contain control characters other than tab/);
  assert.match(messages[14]!, /invalid res\.statusText "OK\\u007f"/);
  assert.match(messages[15]!, /invalid req\.url "\/a\u010aX-Injected:\u0120yes": .*characters above U\+00FF/);
  assert.match(messages[16]!, /invalid res\.statusText "OK\u010aX-Evil: 1": .*characters above U\+00FF/);
  assert.match(outcome.failures[0]!.location, /:6:\d+$/, 'the error points at the line that set the field');
  assert.equal(outcome.dropped, 0, 'a failed message is not counted as dropped by the script');
  assert.deepEqual(
    outcome.outputs.map((o) => text(o).split('\n')[0]),
    [
      'POST /id HTTP/1.1',
      'POST /header-value HTTP/1.1',
      'POST /header-value HTTP/1.1',
      'PURGE /method HTTP/1.1',
      'POST /fine?x=1 HTTP/1.1',
      'HTTP/1.1 599 OK',
    ],
  );
  assert.equal(outcome.outputs[0]!.id, '0123456789abcdef01234567');
  // Tab and non-ASCII text (as UTF-8 bytes, obs-text on the wire) are valid in a header value.
  assert.match(Buffer.from(outcome.outputs[2]!.payload).toString('utf8'), /\nX-Ok: tab\tand café ☃\r?\n/);
});

test('a header name or value unlike the last one set is checked again', { timeout: 10000 }, (t) => {
  const sb = new ScriptSandbox({
    file: script(`export function request(req) {
      const [name, value] = JSON.parse(req.body);
      req.headers.set(name, value);
      return req;
    }`),
    memoryLimitMb: 32,
    timeLimitMs: 200,
  });
  t.after(() => sb.dispose());
  const set = (name: string, value: string) => request(`POST / HTTP/1.1\nHost: a\n\n${JSON.stringify([name, value])}`);
  const outcome = sb.runBatch([
    set('', '1'),
    set('X-A', '1'),
    set('', '1'),
    set('X-A', '1'),
    set('X-A', 'a\r\nInjected: 1'),
    set('X-A', '1'),
    set('X A', '1'),
    set('x-a', ''),
    set('X-A', ''),
  ]);
  assert.deepEqual(outcome.sources, [1, 3, 5, 7, 8]);
  assert.deepEqual(
    outcome.failures.map((f) => [f.index, f.kind]),
    [
      [0, 'invalid'],
      [2, 'invalid'],
      [4, 'invalid'],
      [6, 'invalid'],
    ],
  );
  assert.match(outcome.failures[0]!.message, /invalid header name "": a header name is a token/);
  assert.match(outcome.failures[1]!.message, /invalid header name "": a header name is a token/);
  assert.deepEqual(
    outcome.outputs.map((o) => /^x-a:.*$/im.exec(text(o))?.[0]),
    ['X-A: 1', 'X-A: 1', 'X-A: 1', 'x-a: ', 'X-A: '],
  );
});

test('an id set behind the setter (on the view internals) is refused by the host', { timeout: 10000 }, (t) => {
  const sb = new ScriptSandbox({
    file: script(`export function request(req) { req._id = ${JSON.stringify(FORGED_ID)}; req._idChanged = true; return req; }`),
    memoryLimitMb: 32,
    timeLimitMs: 200,
  });
  t.after(() => sb.dispose());
  const outcome = sb.runBatch([request('GET /a HTTP/1.1\n\n')]);
  assert.deepEqual(outcome.outputs, []);
  assert.equal(outcome.failures[0]!.kind, 'invalid');
  assert.match(outcome.failures[0]!.message, /^request\(\) set an invalid id "ab\\n1 c+/);
});

test('a forged id never reaches a .gor output: the message is dropped, even with on-error pass, and counted', {
  timeout: 10000,
}, async () => {
  const file = script(`export function request(req) { if (req.path === '/forge') req.id = ${JSON.stringify(FORGED_ID)}; return req; }`);
  const ctx = recordingContext('middleware-script');
  const instance = await middlewareScript.create(file, { memoryLimit: 32, timeout: '200ms', onError: 'pass', logRate: 20 }, ctx);
  try {
    const kept = request('GET /kept HTTP/1.1\n\n');
    const out = (await instance.process([request('GET /forge HTTP/1.1\n\n'), kept])) as Message[];
    const decoded = decodeGor(encodeRecords(out));
    assert.deepEqual(
      decoded.map((d) => (d.type === 'record' ? [d.message.id, text(d.message)] : [d.type])),
      [[kept.id, 'GET /kept HTTP/1.1\n\n']],
    );
    assert.equal(ctx.counters.get('script-invalid-fields'), 1);
    assert.equal(ctx.counters.get('dropped-by-script-error'), 1);
    assert.ok(
      ctx.logs.some((l) => l.level === 'warn' && l.message.startsWith(`${file}:1:`) && l.message.includes('invalid req.id')),
      JSON.stringify(ctx.logs),
    );
  } finally {
    await instance.close?.();
  }
});

test('a body holding the .gor record separator is refused, by the setter and again by the host', { timeout: 10000 }, (t) => {
  const forgedBody = `x\n🐵🙈🙉\n1 ${'c'.repeat(24)} 1 0\nGET /injected HTTP/1.1\n\n`;
  const sb = new ScriptSandbox({
    file: script(`const forged = ${JSON.stringify(forgedBody)};
    export function request(req) {
      if (req.path === '/setter') req.body = forged;
      if (req.path === '/bytes') req.bytes = new Uint8Array([...unescape(encodeURIComponent(forged))].map((c) => c.charCodeAt(0)));
      if (req.path === '/internals') { req.headers.get('host'); req._body = unescape(encodeURIComponent(forged)); req._dirty = true; }
      if (req.path === '/emoji') req.body = 'monkeys 🐵🙈🙉 without the newlines are fine';
      return req;
    }`),
    memoryLimitMb: 32,
    timeLimitMs: 200,
  });
  t.after(() => sb.dispose());
  const outcome = sb.runBatch(['/setter', '/bytes', '/internals', '/emoji'].map((p) => request(`POST ${p} HTTP/1.1\nHost: x\n\n`)));
  assert.deepEqual(outcome.sources, [3]);
  assert.deepEqual(
    outcome.failures.map((f) => [f.index, f.kind]),
    [
      [0, 'invalid'],
      [1, 'invalid'],
      [2, 'invalid'],
    ],
  );
  assert.match(outcome.failures[0]!.message, /InvalidFieldError: invalid req\.body .*: a body cannot hold the \.gor record separator/);
  assert.equal(outcome.failures[2]!.message, 'request() produced a message holding the .gor record separator');
});
