import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResponseFramer, type ResponseSink } from '../src/h1-response-framer.js';

const T = { timeout: 30_000 };

/** What the sink saw, as text: one entry per head, the body joined, and each end. */
interface Reading {
  /** Which responses answer HEAD requests, by position. */
  heads?: boolean[];
  /** The framer's keepsResponses (default true); headers are printed only when asked. */
  keepsResponses?: boolean;
  printsHeaders?: boolean;
  /** Tell the framer the connection closed after the bytes. */
  close?: boolean;
}

function transcriptOf(pieces: Buffer[], options: Reading = {}): string[] {
  const out: string[] = [];
  const heads = options.heads ?? [];
  let index = 0;
  let body = '';
  const sink: ResponseSink = {
    isHeadRequest: () => heads[index] === true,
    onHead(status, text, raw) {
      out.push(`head ${status} ${text}${options.printsHeaders ? ` ${raw.map((b) => b.toString('latin1')).join('|')}` : ''}`);
    },
    onBody(chunk) {
      body += chunk.toString('latin1');
    },
    onEnd(isLast, trailers) {
      out.push(`body ${JSON.stringify(body)}`, `end${isLast ? ' last' : ''}${trailers ? ` trailers ${trailers.join('|')}` : ''}`);
      body = '';
      index++;
    },
  };
  const framer = new ResponseFramer(sink, options.keepsResponses ?? true);
  for (const piece of pieces) {
    const problem = framer.push(piece);
    if (problem !== undefined) {
      out.push(`error ${problem}`);
      return out;
    }
  }
  if (options.close) out.push(framer.finish() ? 'closed' : 'cut short');
  return out;
}

/** The same bytes fed whole, in two pieces split at every point, and one byte at a time all read the same. */
function assertEverySplit(text: string, expected: string[], options: Reading = {}): void {
  const bytes = Buffer.from(text, 'latin1');
  assert.deepEqual(transcriptOf([bytes], options), expected, 'whole');
  for (let at = 1; at < bytes.length; at++) {
    assert.deepEqual(transcriptOf([bytes.subarray(0, at), bytes.subarray(at)], options), expected, `split at ${at}`);
  }
  const single = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
  assert.deepEqual(transcriptOf(single, options), expected, 'byte by byte');
}

test('Content-Length bodies, back to back on one connection, read the same at every split point', T, () => {
  assertEverySplit('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n', [
    'head 200 OK',
    'body "hello"',
    'end',
    'head 404 Not Found',
    'body ""',
    'end',
  ]);
});

test(
  'a chunked body with extensions and a trailer section is de-framed at every split point, its trailers handed over when kept',
  T,
  () => {
    const response =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n' +
      '5;name=value\r\nhello\r\n1A ; x="y"\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Checksum: 1\r\nX-Other: 2\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n';
    assertEverySplit(response, [
      'head 200 OK',
      'body "helloabcdefghijklmnopqrstuvwxyz"',
      'end trailers X-Checksum|1|X-Other|2',
      'head 200 OK',
      'body "abc"',
      'end',
    ]);
    assertEverySplit(response, ['head 200 OK ', 'body ""', 'end', 'head 200 OK ', 'body ""', 'end'], {
      keepsResponses: false,
      printsHeaders: true,
    });
  },
);

test('a response to HEAD, a 204 and a 304 have no body whatever their head says', T, () => {
  const response =
    'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n' +
    'HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n' +
    'HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n' +
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
  assertEverySplit(
    response,
    [
      'head 200 OK',
      'body ""',
      'end',
      'head 304 Not Modified',
      'body ""',
      'end',
      'head 204 No Content',
      'body ""',
      'end',
      'head 200 OK',
      'body "ok"',
      'end',
    ],
    { heads: [true, false, false, false] },
  );
});

test('1xx heads are skipped: the final head answers the request', T, () => {
  assertEverySplit(
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nhi',
    ['head 201 Created', 'body "hi"', 'end'],
  );
});

test('a body without length runs until the connection closes; the response is then the last', T, () => {
  assertEverySplit(
    'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this',
    ['head 200 OK', 'body "all of this"', 'end last', 'closed'],
    {
      close: true,
    },
  );
});

test('Connection: close, and HTTP/1.0 without keep-alive, make the response the last of its connection', T, () => {
  assertEverySplit('HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Close\r\nContent-Length: 1\r\n\r\nx', [
    'head 200 OK',
    'body "x"',
    'end last',
  ]);
  assertEverySplit('HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx', ['head 200 OK', 'body "x"', 'end last']);
  assertEverySplit('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nxHTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', [
    'head 200 OK',
    'body "x"',
    'end',
    'head 200 OK',
    'body ""',
    'end last',
  ]);
});

test('headers are kept as received (values trimmed) only when asked, and an empty reason phrase is read', T, () => {
  assertEverySplit(
    'HTTP/1.1 200 \r\nX-A:  one \r\nContent-Length: 0\r\nX-B:two\r\n\r\n',
    ['head 200  X-A|one|Content-Length|0|X-B|two', 'body ""', 'end'],
    {
      printsHeaders: true,
    },
  );
});

test('a response cut short by the close is reported as not complete', T, () => {
  assert.deepEqual(transcriptOf([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc')], { close: true }), [
    'head 200 OK',
    'cut short',
  ]);
  assert.deepEqual(transcriptOf([Buffer.from('HTTP/1.1 200 OK\r\nContent-')], { close: true }), ['cut short']);
  assert.deepEqual(transcriptOf([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx')], { close: true }), [
    'head 200 OK',
    'body "x"',
    'end',
    'closed',
  ]);
});

test('bytes that are not an HTTP/1.x response are refused with the reason', T, () => {
  assert.deepEqual(transcriptOf([Buffer.from('SSH-2.0-OpenSSH\r\n\r\n')]), ['error not an HTTP/1.x status line']);
  assert.deepEqual(transcriptOf([Buffer.from('HTTP/1.1 2x0 OK\r\n\r\n')]), ['error bad status line']);
  assert.deepEqual(transcriptOf([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')]), [
    'head 200 OK',
    'error bad chunk size',
  ]);
  assert.deepEqual(transcriptOf([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n')]), [
    'head 200 OK',
    'error chunk data longer than its size',
  ]);
  assert.deepEqual(transcriptOf([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n')]), [
    'error bad Content-Length "2"',
  ]);
  assert.deepEqual(transcriptOf([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n')]), ['error bad Content-Length "1x"']);
  assert.deepEqual(transcriptOf([Buffer.from('HTTP/1.1 101 Switching Protocols\r\n\r\n')]), [
    'error the target switched protocols (101), which replay does not follow',
  ]);
});

test('without tracked responses neither headers nor body bytes are handed over, and framing is the same', T, () => {
  assertEverySplit(
    'HTTP/1.1 200 OK\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    ['head 200 OK ', 'body ""', 'end', 'head 200 OK ', 'body ""', 'end'],
    { keepsResponses: false, printsHeaders: true },
  );
});

test("the server's Keep-Alive timeout hint is read, in milliseconds", T, () => {
  const sink: ResponseSink = { isHeadRequest: () => false, onHead() {}, onBody() {}, onEnd() {} };
  const framer = new ResponseFramer(sink, false);
  assert.equal(framer.keepAliveHintMs, -1);
  framer.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nKeep-Alive: max=100, timeout=5\r\n\r\n'));
  assert.equal(framer.keepAliveHintMs, 5000);
  framer.push(Buffer.from('HTTP/1.1 200 OK\r\nkeep-alive: timeout=2\r\nContent-Length: 0\r\n\r\n'));
  assert.equal(framer.keepAliveHintMs, 2000);
});
