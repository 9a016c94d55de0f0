import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toReplayRequest, type ReplayRequest } from '../src/replay-request.js';

function parse(raw: string, host?: string): ReplayRequest {
  const result = toReplayRequest(Buffer.from(raw, 'latin1'), host);
  assert.equal(typeof result, 'object', `expected a request, got ${String(result)}`);
  return result as ReplayRequest;
}

test('a GET keeps its method, path with query and headers in recorded order', () => {
  const r = parse('GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: shop.example\r\nX-B: 2\r\nAccept: */*\r\nX-A: 1\r\n\r\n');
  assert.equal(r.method, 'GET');
  assert.equal(r.path, '/a/b?x=1&y=2');
  assert.deepEqual(r.headers, ['Host', 'shop.example', 'X-B', '2', 'Accept', '*/*', 'X-A', '1']);
  assert.equal(r.body, null);
});

test('the Host value is replaced in place when a target host is given, and kept otherwise', () => {
  const raw = 'GET / HTTP/1.1\r\nUser-Agent: t\r\nHost: shop.example\r\nAccept: */*\r\n\r\n';
  assert.deepEqual(parse(raw, '127.0.0.1:8082').headers, ['User-Agent', 't', 'Host', '127.0.0.1:8082', 'Accept', '*/*']);
  assert.deepEqual(parse(raw).headers, ['User-Agent', 't', 'Host', 'shop.example', 'Accept', '*/*']);
});

test('hop-by-hop headers and headers named by Connection are not copied', () => {
  const r = parse(
    'GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=5\r\nX-Hop: 1\r\n' +
      'Proxy-Connection: keep-alive\r\nTE: trailers\r\nUpgrade: h2c\r\nX-Keep: 2\r\n\r\n',
  );
  assert.deepEqual(r.headers, ['Host', 'h', 'X-Keep', '2']);
});

test('a Content-Length body is taken exactly, ignoring bytes past it', () => {
  const r = parse('POST /f HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhelloEXTRA');
  assert.equal(r.body?.toString(), 'hello');
  assert.deepEqual(r.headers, ['Host', 'h', 'Content-Type', 'text/plain']);
});

test('a body cut short by the recording is sent as captured', () => {
  const r = parse('PUT /f HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc');
  assert.equal(r.body?.toString(), 'abc');
});

test('a chunked body is de-chunked and its Transfer-Encoding dropped', () => {
  const r = parse(
    'POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nX-Trailer: t\r\n\r\n',
  );
  assert.equal(r.body?.toString(), 'Wikipedia in \r\n\r\nchunks.');
  assert.deepEqual(r.headers, ['Host', 'h', 'X-A', '1']);
});

test('an absolute-form request target is reduced to its path and query', () => {
  assert.equal(parse('GET http://shop.example:8080/p?q=1 HTTP/1.1\r\n\r\n').path, '/p?q=1');
  assert.equal(parse('GET https://shop.example HTTP/1.1\r\n\r\n').path, '/');
  assert.equal(parse('GET http://shop.example?q=1 HTTP/1.1\r\n\r\n').path, '/?q=1');
});

test('folded header lines continue the previous value and LF-only heads parse', () => {
  const r = parse('GET / HTTP/1.0\nX-Long: a\n  b\nHost: h\n\n');
  assert.deepEqual(r.headers, ['X-Long', 'a b', 'Host', 'h']);
});

test('a second Host header is dropped rather than making the request unsendable', () => {
  assert.deepEqual(parse('GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 't:1').headers, ['Host', 't:1']);
});

test('bytes without a complete head or with a broken request line are reported, not thrown', () => {
  assert.equal(toReplayRequest(Buffer.from('GET / HTTP/1.1\r\nHost: h\r\n'), undefined), 'no-head');
  assert.equal(toReplayRequest(Buffer.from('GARBAGE\r\n\r\n'), undefined), 'bad-request-line');
  assert.equal(toReplayRequest(Buffer.from('OPTIONS * HTTP/1.1\r\n\r\n'), undefined), 'bad-request-line');
  assert.equal(
    toReplayRequest(Buffer.from('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n'), undefined),
    'bad-chunked-body',
  );
});

test('a payload that is a view into a larger buffer is parsed from its own bytes', () => {
  const whole = Buffer.from('JUNKPOST /v HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcJUNK');
  const r = toReplayRequest(whole.subarray(4, whole.length - 4), undefined) as ReplayRequest;
  assert.equal(r.path, '/v');
  assert.equal(r.body?.toString(), 'abc');
});
