import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHttpHead } from '@reprise/core';
import { H1RequestWriter, type H1Request } from '../src/h1-request-head.js';
import { toReplayRequest } from '../src/replay-request.js';

const T = { timeout: 30_000 };
const rewriting = new H1RequestWriter('target:8080', 'target:8080');
const keeping = new H1RequestWriter(undefined, 'target:8080');

function sent(writer: H1RequestWriter, raw: string | Buffer): string {
  const request = writer.build(typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw);
  assert.equal(typeof request, 'object', `built: ${String(request)}`);
  const { parts, byteLength } = request as H1Request;
  const bytes = Buffer.concat(parts);
  assert.equal(bytes.length, byteLength);
  return bytes.toString('latin1');
}

test('the recorded bytes go out as they are, Host rewritten in place and hop-by-hop headers left out', T, () => {
  const raw =
    'GET /a?b=1 HTTP/1.1\r\nHost: shop.example\r\nConnection: keep-alive\r\nKeep-Alive: 300\r\nAccept:  text/html \r\n' +
    'TE: trailers\r\nUpgrade: h2c\r\nProxy-Connection: keep-alive\r\nX-Last: 1\r\n\r\n';
  assert.equal(sent(rewriting, raw), 'GET /a?b=1 HTTP/1.1\r\nHost: target:8080\r\nAccept:  text/html \r\nX-Last: 1\r\n\r\n');
  assert.equal(sent(keeping, raw), 'GET /a?b=1 HTTP/1.1\r\nHost: shop.example\r\nAccept:  text/html \r\nX-Last: 1\r\n\r\n');
  // another spelling of the name keeps its spelling; a second Host is not sent
  assert.equal(sent(rewriting, 'GET / HTTP/1.1\r\nhOST: a\r\nHost: b\r\n\r\n'), 'GET / HTTP/1.1\r\nhOST: target:8080\r\n\r\n');
});

test('a request without Host gets the target host; the bytes after the head are the body only', T, () => {
  assert.equal(sent(keeping, 'GET /x HTTP/1.1\r\nAccept: */*\r\n\r\n'), 'GET /x HTTP/1.1\r\nAccept: */*\r\nhost: target:8080\r\n\r\n');
  assert.equal(sent(rewriting, 'GET /x HTTP/1.1\r\n\r\nstray bytes'), 'GET /x HTTP/1.1\r\nhost: target:8080\r\n\r\n');
});

test('the body is framed by the Content-Length of what is sent: truncated, chunked or empty', T, () => {
  assert.equal(
    sent(rewriting, 'POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\nContent-Type: text/plain\r\n\r\nabcd'),
    'POST /p HTTP/1.1\r\nHost: target:8080\r\nContent-Type: text/plain\r\ncontent-length: 4\r\n\r\nabcd',
  );
  assert.equal(
    sent(
      rewriting,
      'PUT /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n',
    ),
    'PUT /p HTTP/1.1\r\nHost: target:8080\r\ncontent-length: 5\r\n\r\nabcde',
  );
  assert.equal(
    sent(rewriting, 'POST /p HTTP/1.1\r\nHost: h\r\n\r\n'),
    'POST /p HTTP/1.1\r\nHost: target:8080\r\ncontent-length: 0\r\n\r\n',
  );
  const binary = Buffer.concat([Buffer.from('POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\n'), Buffer.from([0, 255, 13, 10])]);
  const out = Buffer.from(sent(rewriting, binary), 'latin1');
  assert.deepEqual(out.subarray(out.length - 4), Buffer.from([0, 255, 13, 10]));
});

test('requests the byte path does not cover are rebuilt to the same request as the undici path parses', T, () => {
  const cases = [
    'GET http://shop.example/abs?q=1 HTTP/1.1\r\nHost: shop.example\r\n\r\n',
    'GET /old HTTP/1.0\r\nHost: h\r\n\r\n',
    'GET /lf HTTP/1.1\nHost: h\nAccept: */*\n\n',
    'GET /fold HTTP/1.1\r\nHost: h\r\nX-Long: a\r\n  b\r\n\r\n',
    'GET /named HTTP/1.1\r\nHost: h\r\nConnection: X-Secret\r\nX-Secret: 1\r\nX-Kept: 2\r\n\r\n',
    'POST /c HTTP/1.1\nTransfer-Encoding: chunked\n\n3\r\nabc\r\n0\r\n\r\n',
  ];
  for (const raw of cases) {
    const out = sent(rewriting, raw);
    const head = parseHttpHead(Buffer.from(out, 'latin1'))!;
    const expected = toReplayRequest(Buffer.from(raw, 'latin1'), 'target:8080');
    assert.ok(typeof expected === 'object');
    assert.deepEqual(head.startLine, [expected.method, expected.path, 'HTTP/1.1'], raw);
    const names = head.headers.filter(([name]) => name.toLowerCase() !== 'content-length');
    const wanted: Array<[string, string]> = [];
    for (let i = 0; i < expected.headers.length; i += 2) wanted.push([expected.headers[i]!, expected.headers[i + 1]!]);
    if (!wanted.some(([name]) => name.toLowerCase() === 'host')) wanted.push(['host', 'target:8080']);
    assert.deepEqual(names, wanted, raw);
    assert.equal(out.slice(head.bodyOffset), expected.body?.toString('latin1') ?? '', raw);
  }
});

test('what undici would refuse is refused with the same problems', T, () => {
  assert.equal(rewriting.build(Buffer.from('not http at all')), 'no-head');
  assert.equal(rewriting.build(Buffer.from('GET / HTTP/1.1\r\nHost: cut\r\n')), 'no-head');
  assert.equal(rewriting.build(Buffer.from('GE(T /x HTTP/1.1\r\n\r\n')), 'bad-request-line');
  assert.equal(rewriting.build(Buffer.from('GET /x HTTP/1.1\r\nBad Name: 1\r\n\r\n')), 'bad-header');
  assert.equal(rewriting.build(Buffer.from('POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')), 'bad-chunked-body');
});

test('idempotent methods are marked so: they may be pipelined and sent again', T, () => {
  const idempotent = (method: string) => (rewriting.build(Buffer.from(`${method} / HTTP/1.1\r\n\r\n`)) as H1Request).isIdempotent;
  assert.deepEqual(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE', 'POST', 'PATCH'].map(idempotent), [
    true,
    true,
    true,
    true,
    true,
    true,
    false,
    false,
  ]);
});
