import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Message } from '@reprise/core';
import { dedupIdOf, HEADER, messageOf, metaHeaders } from '../src/wire-format.js';

const response: Message = {
  kind: 'response',
  id: 'e4a81f900100007f00000001',
  timestamp: 1_795_574_173_000_000_123n,
  latency: 987_654n,
  payload: new TextEncoder().encode('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'),
};

test('a message survives headers and body unchanged, with a 64-bit timestamp', () => {
  const headers = metaHeaders(response);
  const back = messageOf(headers, response.payload, 'test');
  assert.deepEqual(back, response);
  assert.equal(headers.get(HEADER.msgId), 'e4a81f900100007f00000001-2');
});

test('the dedup id tells a request from its responses', () => {
  assert.notEqual(dedupIdOf(response), dedupIdOf({ ...response, kind: 'request' }));
  assert.equal(dedupIdOf({ ...response, kind: 'replayed-response' }), 'e4a81f900100007f00000001-3');
});

test('a message without reprise headers is refused with where it came from', () => {
  assert.throws(() => messageOf(undefined, new Uint8Array(), 'REPRISE_shop sequence 7'), /REPRISE_shop sequence 7: not a reprise message/);
  const bad = metaHeaders(response);
  bad.set(HEADER.id, 'not-hex');
  assert.throws(() => messageOf(bad, new Uint8Array(), 'here'), /not a reprise message/);
});
