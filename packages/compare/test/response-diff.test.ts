import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brotliCompressSync, deflateSync } from 'node:zlib';
import { BUILT_IN_COMPARATORS, binaryComparator, jsonComparator, textComparator } from '../src/comparators/index.js';
import type { Comparator } from '../src/comparator.js';
import { DEFAULT_IGNORED_FIELDS, fieldMatcher } from '../src/ignore-list.js';
import { ComparedResponse, diffResponses } from '../src/response-diff.js';
import { viewResponse } from '../src/response-view.js';
import { response, type ResponseSpec } from './helpers.js';

const ignoreDefaults = fieldMatcher(DEFAULT_IGNORED_FIELDS);

function diff(a: ResponseSpec, b: ResponseSpec, comparator: Comparator = jsonComparator as Comparator, ignore = ignoreDefaults): string[] {
  const out = diffResponses(
    new ComparedResponse(viewResponse(response(a))),
    new ComparedResponse(viewResponse(response(b))),
    comparator,
    ignore,
  );
  return [...out.values()].map((d) => `${d.field} ${d.kind}`).sort();
}

test('status, headers and body fields are named status, header.<lower-case>, body.<path>', () => {
  const a = { status: 200, headers: { 'X-Version': '1', 'X-Old': 'y' }, body: { user: { email: 'a' } } };
  const b = { status: 404, headers: { 'x-version': '2', 'X-New': 'z' }, body: { user: { email: 'b' } } };
  assert.deepEqual(diff(a, b), [
    'body.user.email changed',
    'header.x-new extra',
    'header.x-old missing',
    'header.x-version changed',
    'status changed',
  ]);
});

test('volatile headers on the default list are not compared, and the list is editable', () => {
  const volatile = {
    Date: 'Mon',
    'X-Request-Id': '1',
    ETag: '"a"',
    traceparent: '00-a',
    'Last-Modified': 'x',
    Age: '1',
    Expires: 'x',
    'Server-Timing': 'db;dur=1',
  };
  const other = {
    Date: 'Tue',
    'X-Request-Id': '2',
    ETag: '"b"',
    traceparent: '00-b',
    'Last-Modified': 'y',
    Age: '2',
    Expires: 'y',
    'Server-Timing': 'db;dur=2',
  };
  assert.deepEqual(diff({ headers: volatile, body: 'same' }, { headers: other, body: 'same' }, textComparator as Comparator), []);
  const custom = fieldMatcher(['header.x-*', 'body.meta.*']);
  assert.deepEqual(
    diff(
      { headers: { 'X-A': '1', Date: 'Mon' }, body: { meta: { t: 1 }, v: 1 } },
      { headers: { 'X-A': '2', Date: 'Tue' }, body: { meta: { t: 2 }, v: 2 } },
      jsonComparator as Comparator,
      custom,
    ),
    ['body.v changed', 'header.date changed'],
  );
});

test('Content-Length is compared only when the bodies are equal; Set-Cookie by cookie names', () => {
  assert.deepEqual(diff({ body: { a: 1 } }, { body: { a: 22 } }), ['body.a changed']);
  assert.deepEqual(
    diff(
      { headers: { 'Set-Cookie': 'sid=abc; Path=/' }, body: 'x' },
      { headers: { 'Set-Cookie': 'sid=def; Path=/' }, body: 'x' },
      textComparator as Comparator,
    ),
    [],
  );
  assert.deepEqual(
    diff(
      { headers: { 'Set-Cookie': 'sid=abc' }, body: 'x' },
      { headers: { 'Set-Cookie': 'session=abc' }, body: 'x' },
      textComparator as Comparator,
    ),
    ['header.set-cookie changed'],
  );
});

test('chunked and gzip, deflate, br bodies are decoded before comparing', () => {
  const body = { items: [{ price: 1 }, { price: 2 }], text: 'x'.repeat(300) };
  assert.deepEqual(
    diff({ body }, { body, gzip: true, chunked: true, headers: { 'Content-Encoding': 'gzip' } }).filter(
      (d) => !d.startsWith('header.content-encoding'),
    ),
    [],
  );
  const plain = response({ body });
  const json = Buffer.from(JSON.stringify(body));
  for (const [coding, bytes] of [
    ['deflate', deflateSync(json)],
    ['br', brotliCompressSync(json)],
  ] as const) {
    const encoded = response({ body: bytes, headers: { 'Content-Type': 'application/json', 'Content-Encoding': coding } });
    assert.deepEqual(viewResponse(encoded).body, viewResponse(plain).body, coding);
  }
  const changed = diff({ body, gzip: true }, { body: { ...body, text: 'y' }, chunked: true });
  assert.ok(changed.includes('body.text changed'), changed.join());
});

test('text bodies are compared as text, binary bodies by hash, a non-JSON candidate is a type change', () => {
  assert.deepEqual(
    diff(
      { body: '<p>a</p>', headers: { 'Content-Type': 'text/html' } },
      { body: '<p>b</p>', headers: { 'Content-Type': 'text/html' } },
      textComparator as Comparator,
    ),
    ['body changed'],
  );
  const bin = diffResponses(
    new ComparedResponse(viewResponse(response({ body: Buffer.from([0, 1, 2]), headers: { 'Content-Type': 'image/png' } }))),
    new ComparedResponse(viewResponse(response({ body: Buffer.from([0, 1, 3]), headers: { 'Content-Type': 'image/png' } }))),
    binaryComparator as Comparator,
    ignoreDefaults,
  );
  const only = [...bin.values()];
  assert.equal(only.length, 1);
  assert.match(String(only[0]!.baseline), /^sha256:[0-9a-f]{16} \(3 bytes\)$/);
  assert.deepEqual(diff({ body: { a: 1 } }, { body: 'oops', headers: { 'Content-Type': 'application/json' } }), ['body type']);
  assert.equal(BUILT_IN_COMPARATORS.find((c) => c.matches('image/png', Buffer.from([0, 1])))?.name, 'binary');
  assert.equal(BUILT_IN_COMPARATORS.find((c) => c.matches('text/html', Buffer.from('<p>')))?.name, 'text');
});
