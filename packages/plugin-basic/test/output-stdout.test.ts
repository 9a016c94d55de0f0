import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatReadable } from '../src/output-stdout.js';

const message = (head: string, body: Uint8Array) => {
  const payload = new Uint8Array([...new TextEncoder().encode(head), ...body]);
  return { kind: 'request' as const, id: 'a'.repeat(24), timestamp: 1n, latency: 0n, payload };
};

test('a binary body is summarised after the head, whichever line ends the head uses', () => {
  const binary = new Uint8Array([0xff, 0xfe, 0x00, 0x80]);
  for (const head of ['POST /a HTTP/1.1\r\nHost: x\r\n\r\n', 'POST /a HTTP/1.1\nHost: x\n\n']) {
    assert.equal(formatReadable(message(head, binary)), `1 ${'a'.repeat(24)} 1 0\n${head}<4 bytes of binary body>\n\n`);
  }
});

test('bytes without a complete head are summarised whole', () => {
  assert.equal(formatReadable(message('', new Uint8Array([0xff, 0x0a]))), `1 ${'a'.repeat(24)} 1 0\n<2 bytes of binary body>\n\n`);
});
