import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asksForH2c } from '../src/h2/protocol-router.js';

const bytes = (text: string) => new TextEncoder().encode(text);

test('asksForH2c reads the Upgrade header of the head only', () => {
  assert.equal(asksForH2c(bytes('GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n\r\n')), true);
  assert.equal(asksForH2c(bytes('GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n')), true);
  assert.equal(asksForH2c(bytes('GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n')), false);
  // The head ends at its first blank line, "\n\n" as well as "\r\n\r\n": a body that quotes the header asks nothing.
  assert.equal(asksForH2c(bytes('POST / HTTP/1.1\nContent-Length: 30\n\nx\r\nUpgrade: h2c\r\n\r\n')), false);
  assert.equal(asksForH2c(bytes('POST / HTTP/1.1\r\nContent-Length: 18\r\n\r\nx\r\nUpgrade: h2c\r\n')), false);
});
