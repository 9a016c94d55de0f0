import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toH2Headers } from '../src/h2-headers.js';
import { toReplayRequest, type ReplayRequest } from '../src/replay-request.js';

test('HTTP/2 headers are lower case, without connection-specific ones; TE comes back only as trailers', () => {
  assert.deepEqual(
    toH2Headers(
      [
        'Host',
        'a.example',
        'Connection',
        'close',
        'HTTP2-Settings',
        'AAMAAABkAAQAoAAAAAIAAAAA',
        'Upgrade',
        'h2c',
        'X-Id',
        '7',
        'Cookie',
        'a=1',
      ],
      true,
    ),
    ['host', 'a.example', 'x-id', '7', 'cookie', 'a=1', 'te', 'trailers'],
  );
  assert.deepEqual(toH2Headers(['Accept', '*/*'], false), ['accept', '*/*']);
});

test('a recorded TE naming trailers is noticed (and still not sent over HTTP/1.1)', () => {
  const parse = (te: string) => toReplayRequest(Buffer.from(`GET / HTTP/1.1\r\nHost: x\r\nTE: ${te}\r\n\r\n`), undefined) as ReplayRequest;
  assert.equal(parse('trailers').hasTeTrailers, true);
  assert.equal(parse('deflate, trailers').hasTeTrailers, true);
  assert.equal(parse('gzip;q=0.5').hasTeTrailers, false);
  assert.deepEqual(parse('trailers').headers, ['Host', 'x']);
});
