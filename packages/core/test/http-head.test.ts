import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findHeadEnd } from '../src/http-head.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

test('findHeadEnd: the index just past a CRLF or bare-LF blank line', { timeout: 5_000 }, () => {
  assert.equal(findHeadEnd(bytes('GET / HTTP/1.1\r\nHost: a\r\n\r\nbody')), 27);
  assert.equal(findHeadEnd(bytes('GET / HTTP/1.1\nHost: a\n\nbody')), 24);
  assert.equal(findHeadEnd(bytes('GET / HTTP/1.1\r\n\r\n')), 18, 'no headers');
  // a long header line is crossed in one search, whatever its length
  const long = `GET / HTTP/1.1\r\nCookie: ${'x'.repeat(10_000)}\r\n\r\n`;
  assert.equal(findHeadEnd(bytes(long)), long.length);
});

test('findHeadEnd: -1 for a head not yet complete', { timeout: 5_000 }, () => {
  assert.equal(findHeadEnd(bytes('GET / HTTP/1.1\r\nHost: a\r\n')), -1);
  assert.equal(findHeadEnd(bytes('GET / HTTP/1.1\r\nHost: a\r\n\r')), -1, 'the last LF not there yet');
  assert.equal(findHeadEnd(bytes('GET / HTTP/1.1\r\n\rX\n')), -1, 'CR then another byte is no blank line');
  assert.equal(findHeadEnd(bytes('')), -1);
});

test('findHeadEnd: starts searching at `from` and works on a subarray', { timeout: 5_000 }, () => {
  const two = bytes('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n');
  const first = findHeadEnd(two);
  assert.equal(first, 25);
  assert.equal(findHeadEnd(two, first), two.length);
  const inner = two.subarray(first);
  assert.equal(findHeadEnd(inner), inner.length, 'indices are relative to the view');
  assert.equal(findHeadEnd(new Uint8Array(bytes('a\n\n'))), 3, 'a plain Uint8Array too');
});
