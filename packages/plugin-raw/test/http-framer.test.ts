import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HttpFramer, type FramerRole } from '../src/http-framer.js';

function makeFramer(role: FramerRole, methods: string[] = []) {
  const messages: string[] = [];
  const lost: string[] = [];
  let notHttp = 0;
  const framer = new HttpFramer(role, {
    message: (m) => {
      messages.push(Buffer.from(m.payload).toString('latin1'));
      // as the tracker does: a final response answers the oldest request
      if (role === 'response' && (m.status < 100 || m.status >= 200)) methods.shift();
    },
    lost: (reason) => lost.push(reason),
    notHttp: () => notHttp++,
    requestMethod: () => methods[0],
  });
  const push = (text: string) => framer.push(Buffer.from(text, 'latin1'), 0, 0);
  return { framer, messages, lost, push, notHttp: () => notHttp };
}

/** Feeds `text` in every way of cutting it in two, and one byte at a time. */
function eachSplit(text: string, check: (parts: string[]) => void): void {
  for (let i = 0; i <= text.length; i++) check([text.slice(0, i), text.slice(i)]);
  check([...text]);
}

test('frames requests by Content-Length however the bytes are split', { timeout: 10_000 }, () => {
  const request = 'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello';
  eachSplit(request, (parts) => {
    const { messages, push } = makeFramer('request');
    for (const p of parts) push(p);
    assert.deepEqual(messages, [request]);
  });
});

test('splits pipelined requests that share segments', { timeout: 10_000 }, () => {
  const a = 'GET /1 HTTP/1.1\r\nHost: x\r\n\r\n';
  const b = 'POST /2 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc';
  const c = 'GET /3 HTTP/1.0\n\n';
  eachSplit(a + b + c, (parts) => {
    const { messages, push } = makeFramer('request');
    for (const p of parts) push(p);
    assert.deepEqual(messages, [a, b, c]);
  });
});

test('frames chunked bodies with extensions and trailers', { timeout: 10_000 }, () => {
  const request =
    'POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n' +
    '5;ext=1\r\nhello\r\n' +
    'A\r\n0123456789\r\n' +
    '0\r\nX-Trailer: yes\r\n\r\n';
  const next = 'GET /after HTTP/1.1\r\n\r\n';
  eachSplit(request + next, (parts) => {
    const { messages, push } = makeFramer('request');
    for (const p of parts) push(p);
    assert.deepEqual(messages, [request, next]);
  });
});

test('a request with Expect: 100-continue ends after its body, and the interim response is its own message', { timeout: 10_000 }, () => {
  const req = makeFramer('request');
  req.push('PUT /u HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n');
  assert.deepEqual(req.messages, []);
  req.push('data');
  assert.equal(req.messages.length, 1);
  const res = makeFramer('response', ['PUT']);
  res.push('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok');
  assert.deepEqual(res.messages, ['HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok']);
});

test('responses to HEAD, and 204 and 304 responses, have no body', { timeout: 10_000 }, () => {
  const { messages, push } = makeFramer('response', ['HEAD', 'GET', 'GET', 'GET']);
  const head = 'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n';
  const noContent = 'HTTP/1.1 204 No Content\r\n\r\n';
  const notModified = 'HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n';
  const ok = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi';
  push(head + noContent + notModified + ok);
  assert.deepEqual(messages, [head, noContent, notModified, ok]);
});

test('a response without length runs until the connection ends', { timeout: 10_000 }, () => {
  const { messages, push, framer } = makeFramer('response', ['GET']);
  push('HTTP/1.0 200 OK\r\n\r\nsome ');
  push('body');
  assert.deepEqual(messages, []);
  framer.end(0, 0);
  assert.deepEqual(messages, ['HTTP/1.0 200 OK\r\n\r\nsome body']);
});

test('a stray CRLF after a body does not make the stream non-HTTP', { timeout: 10_000 }, () => {
  const { messages, push, notHttp } = makeFramer('request');
  push('POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nok\r\n');
  push('GET /b HTTP/1.1\r\n\r\n');
  assert.deepEqual(messages, ['POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nok', 'GET /b HTTP/1.1\r\n\r\n']);
  assert.equal(notHttp(), 0);
});

test('a request without length has no body', { timeout: 10_000 }, () => {
  const { messages, push } = makeFramer('request');
  push('GET / HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n');
  assert.equal(messages.length, 2);
});

test('bodies larger than 1 MB come out whole', { timeout: 10_000 }, () => {
  const body = 'b'.repeat(1_500_000);
  const request = `POST /big HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  const { messages, push } = makeFramer('request');
  for (let i = 0; i < request.length; i += 65000) push(request.slice(i, i + 65000));
  assert.equal(messages.length, 1);
  assert.equal(messages[0]!.length, request.length);
});

test('a stream that is not HTTP is counted once and skipped', { timeout: 10_000 }, () => {
  const f = makeFramer('request');
  f.push('\x16\x03\x01\x02\x00 binary');
  f.push('GET / HTTP/1.1\r\n\r\n');
  assert.deepEqual(f.messages, []);
  assert.equal(f.notHttp(), 1);
  const g = makeFramer('request');
  g.push('HELLO world this is not\r\n\r\n');
  assert.equal(g.notHttp(), 1);
  const r = makeFramer('response');
  r.push('SSH-2.0-OpenSSH\r\n');
  assert.equal(r.notHttp(), 1);
});

test('after a gap the broken message is dropped and framing resumes at the next message start', { timeout: 10_000 }, () => {
  const { framer, messages, lost, push } = makeFramer('request');
  push('POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc');
  framer.gap();
  push('ghij');
  push('GET /next HTTP/1.1\r\n\r\n');
  assert.deepEqual(lost, ['gap']);
  assert.deepEqual(messages, ['GET /next HTTP/1.1\r\n\r\n']);
});

test('after a gap, body bytes that look like a start line do not end HTTP framing', { timeout: 10_000 }, () => {
  const { framer, messages, notHttp, push } = makeFramer('request');
  push('POST /x HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc');
  framer.gap();
  push('HELLO world, more of that body\r\n\r\n');
  push('GET /next HTTP/1.1\r\n\r\n');
  assert.equal(notHttp(), 0);
  assert.deepEqual(messages, ['GET /next HTTP/1.1\r\n\r\n']);
});

test('an unfinished message at the end of the stream is counted as incomplete', { timeout: 10_000 }, () => {
  const { framer, lost, messages, push } = makeFramer('request');
  push('POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc');
  framer.end(0, 0);
  assert.deepEqual(messages, []);
  assert.deepEqual(lost, ['incomplete']);
});

test('an invalid Content-Length makes the stream non-HTTP instead of guessing', { timeout: 10_000 }, () => {
  const { messages, push, notHttp } = makeFramer('request');
  push('POST /x HTTP/1.1\r\nContent-Length: ten\r\n\r\nabc');
  assert.deepEqual(messages, []);
  assert.equal(notHttp(), 1);
});

test("a request asks for h2c only by its head's Upgrade header, however the bytes are split", { timeout: 10_000 }, () => {
  const cases: [string, boolean][] = [
    ['GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n\r\n', true],
    ['GET / HTTP/1.1\nupgrade:H2C \n\n', true],
    ['GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n', false],
    ['GET / HTTP/1.1\r\nReferer: h2c\r\n\r\n', false],
    // The head ends at its first blank line: a body that quotes the header asks nothing.
    ['POST / HTTP/1.1\nContent-Length: 16\n\nUpgrade: h2c\r\n\r\n', false],
  ];
  for (const [request, asks] of cases) {
    eachSplit(request, (parts) => {
      const seen: boolean[] = [];
      const framer = new HttpFramer('request', {
        message: (m) => seen.push(m.asksForH2c),
        lost: () => assert.fail('lost'),
        notHttp: () => assert.fail('not HTTP'),
      });
      // Behind a plain request on the same connection: what one head asked is not carried to the next.
      for (const p of ['GET /first HTTP/1.1\r\nUpgrade: h2c\r\n\r\n', ...parts]) framer.push(Buffer.from(p, 'latin1'), 0, 0);
      assert.deepEqual(seen, [true, asks], JSON.stringify(request));
    });
  }
});

test('a head ends at its first blank line, whatever the line endings, stray CRs and cuts (property)', { timeout: 60_000 }, () => {
  const eol = fc.constantFrom('\r\n', '\n');
  const header = fc.tuple(fc.constantFrom('Host', 'X-A', 'Accept', 'Via'), fc.stringMatching(/^[a-z][a-z \t\r,;=]{0,20}$/), eol);
  const cuts = fc.array(fc.nat(), { maxLength: 5 });
  fc.assert(
    fc.property(eol, fc.array(header, { maxLength: 8 }), eol, cuts, (first, headers, blank, at) => {
      const request = `GET /a HTTP/1.1${first}${headers.map(([name, value, end]) => `${name}: ${value}${end}`).join('')}${blank}`;
      const next = 'GET /b HTTP/1.1\r\n\r\n';
      const text = request + next;
      const bounds = [0, ...at.map((n) => n % (text.length + 1)).sort((a, b) => a - b), text.length];
      const { messages, push } = makeFramer('request');
      for (let k = 1; k < bounds.length; k++) push(text.slice(bounds[k - 1], bounds[k]));
      assert.deepEqual(messages, [request, next]);
    }),
    { numRuns: 2000 },
  );
});

test('framing headers and Upgrade are found by name, whatever colons the other lines hold (property)', { timeout: 60_000 }, () => {
  const name = fc.constantFrom('Upgrade', 'Host', 'Referer', 'X-Note', 'Content-Type', 'Accept-Language', 'X-Forwarded-Proto', 'Via');
  // Printable ASCII, colons included: a colon at any offset of any line.
  const header = fc.tuple(name, fc.oneof(fc.stringMatching(/^[ -~]{0,24}$/), fc.constant('h2c'), fc.constant(' H2C ')));
  fc.assert(
    fc.property(fc.array(header, { maxLength: 8 }), fc.nat({ max: 8 }), fc.string({ maxLength: 12 }), (headers, at, body) => {
      const lines = headers.map(([n, v]) => `${n}:${v}`);
      lines.splice(Math.min(at, lines.length), 0, `Content-Length: ${body.length}`);
      const request = `POST /a HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n${body}`;
      const next = 'GET /b HTTP/1.1\r\n\r\n';
      const framed: { text: string; asksForH2c: boolean }[] = [];
      const framer = new HttpFramer('request', {
        message: (m) => framed.push({ text: Buffer.from(m.payload).toString('latin1'), asksForH2c: m.asksForH2c }),
        lost: () => assert.fail('lost'),
        notHttp: () => assert.fail('not HTTP'),
      });
      framer.push(Buffer.from(request + next, 'latin1'), 0, 0);
      const asks = headers.some(([n, v]) => n === 'Upgrade' && v.trim().toLowerCase() === 'h2c');
      assert.deepEqual(framed, [
        { text: request, asksForH2c: asks },
        { text: next, asksForH2c: false },
      ]);
    }),
    { numRuns: 3000 },
  );
});

test('a request carries its method, common or not, and a response its status code', () => {
  const methods: string[] = [];
  const requests = new HttpFramer('request', { message: (m) => methods.push(m.method), lost: assert.fail, notHttp: assert.fail });
  for (const method of ['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH', 'PURGE', 'M-SEARCH', 'GETX', 'PROPFIND']) {
    requests.push(Buffer.from(`${method} /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n`), 0, 0);
  }
  assert.deepEqual(methods, ['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH', 'PURGE', 'M-SEARCH', 'GETX', 'PROPFIND']);
  const statuses: number[] = [];
  const responses = new HttpFramer('response', { message: (m) => statuses.push(m.status), lost: assert.fail, notHttp: assert.fail });
  for (const line of ['HTTP/1.1 200 OK', 'HTTP/1.0 404 Not Found', 'HTTP/1.1 599', 'HTTP/1.1 302 ']) {
    responses.push(Buffer.from(`${line}\r\nContent-Length: 0\r\n\r\n`), 0, 0);
  }
  assert.deepEqual(statuses, [200, 404, 599, 302]);
});

test('a message that came in one segment is a view of it, head and body alike (no copy to join them)', () => {
  const payloads: Uint8Array[] = [];
  const framer = new HttpFramer('response', { message: (m) => payloads.push(m.payload), lost: assert.fail, notHttp: assert.fail });
  const first = 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\npong';
  const second = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\npong\r\n0\r\n\r\n';
  const segment = Buffer.from(first + second);
  framer.push(segment, 0, 0);
  assert.deepEqual(
    payloads.map((p) => [Buffer.from(p).toString(), p.buffer === segment.buffer, p.byteOffset - segment.byteOffset]),
    [
      [first, true, 0],
      [second, true, first.length],
    ],
  );
});
