import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  createSecureServer as createSecureH2Server,
  createServer as createH2Server,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dechunk, findHeadEnd, type Message } from '@reprise/core';
import { selfSignedCertificate } from '../../../test/support/tls-cert.js';
import { createOutput, listenUntilDone, requestMessage, startRecordingServer } from './helpers.js';

const T = { timeout: 15_000 };

interface SeenStream {
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The session (connection) the stream came on. */
  session: number;
}

/** A Node HTTP/2 server in clear text (prior knowledge) recording every stream; `respond` answers it. */
async function startH2cServer(
  t: TestContext,
  respond: (stream: ServerHttp2Stream, seen: SeenStream) => void = (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'text/plain' });
    stream.end('ok');
  },
): Promise<{ url: string; seen: SeenStream[]; server: Http2Server }> {
  const seen: SeenStream[] = [];
  const server = createH2Server();
  const sessions = new Set<Http2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    (session as unknown as { n: number }).n = sessions.size;
  });
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const entry = { headers, body: Buffer.concat(chunks), session: (stream.session as unknown as { n: number }).n };
      seen.push(entry);
      respond(stream, entry);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        // close() waits for open sessions: the replayer's are closed by a later hook
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

function h2cMessage(raw: string): Message {
  return { ...requestMessage(raw), protocol: 'h2c' };
}

function responsesOf(emitted: Message[][]): Message[] {
  return emitted.flat().filter((m) => m.kind === 'replayed-response');
}

test('--output-http-protocol h2c sends HTTP/1-recorded requests as HTTP/2 streams, without connection-specific headers', T, async (t) => {
  const target = await startH2cServer(t);
  const { output, ctx } = await createOutput(t, target.url, { protocol: 'h2c', trackResponse: true });
  const requests = [
    requestMessage(
      'GET /a?x=1 HTTP/1.1\r\nHost: recorded.example\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nAccept: */*\r\n\r\n',
    ),
    requestMessage(
      'POST /b HTTP/1.1\r\nHost: recorded.example\r\nTransfer-Encoding: chunked\r\nTE: trailers, deflate\r\nUpgrade: websocket\r\nProxy-Connection: keep-alive\r\nX-Case: Kept\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n',
    ),
  ];
  await output.write(requests);
  await output.flush!();
  assert.equal(target.seen.length, 2);
  const byPath = new Map(target.seen.map((s) => [s.headers[':path'], s]));
  const get = byPath.get('/a?x=1')!;
  assert.equal(get.headers[':method'], 'GET');
  assert.equal(get.headers[':authority'], new URL(target.url).host, 'Host is rewritten to the target and sent as :authority');
  assert.equal(get.headers['x-hop'], undefined, 'a header named by Connection is dropped');
  assert.equal(get.headers['keep-alive'], undefined);
  assert.equal(get.headers.accept, '*/*');
  const post = byPath.get('/b')!;
  assert.equal(post.body.toString(), 'abcde');
  assert.equal(post.headers.te, 'trailers', 'TE: trailers is the one TE HTTP/2 allows');
  assert.equal(post.headers['x-case'], 'Kept');
  for (const name of ['transfer-encoding', 'upgrade', 'proxy-connection', 'connection']) assert.equal(post.headers[name], undefined, name);
  assert.equal(ctx.counters['sent-h2'], 2);
  assert.equal(ctx.counters.failed, undefined);
  assert.equal(responsesOf(ctx.emitted).length, 2);
});

test('auto replays h2c records over HTTP/2 and HTTP/1 records over HTTP/1.1 to the same target', T, async (t) => {
  // A Node http2 server with allowHTTP1 is not available in clear text; an h2c server refuses HTTP/1.1.
  // So mixed traffic goes to an HTTP/1.1 server (h2c records fail there) and to an h2c server (h1 ones fail).
  const h2 = await startH2cServer(t);
  const { output, ctx } = await createOutput(t, h2.url, {});
  await output.write([h2cMessage('GET /h2 HTTP/1.1\r\nHost: x\r\n\r\n'), requestMessage('GET /h1 HTTP/1.1\r\nHost: x\r\n\r\n')]);
  await output.flush!();
  assert.deepEqual(
    h2.seen.map((s) => s.headers[':path']),
    ['/h2'],
  );
  assert.equal(ctx.counters['sent-h2'], 1);
  assert.equal(ctx.counters.failed, 1, 'the HTTP/1.1 request to an h2c-only server fails');

  const h1 = await startRecordingServer(t);
  const second = await createOutput(t, h1.url, {});
  const tls = { ...requestMessage('GET /captured-in-tls HTTP/1.1\r\nHost: x\r\n\r\n'), protocol: 'h2' as const };
  await second.output.write([
    h2cMessage('GET /h2 HTTP/1.1\r\nHost: x\r\n\r\n'),
    requestMessage('GET /h1 HTTP/1.1\r\nHost: x\r\n\r\n'),
    tls,
  ]);
  await second.output.flush!();
  assert.deepEqual(
    h1.seen.map((s) => s.url).sort(),
    ['/captured-in-tls', '/h1'],
    'an h2 (TLS-captured) record goes over HTTP/1.1 to an http:// target: nothing to negotiate in clear text',
  );
});

test('auto replays an h2 (TLS-captured) record over HTTP/2 to an https:// target by ALPN', T, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-h2-alpn-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tls = selfSignedCertificate(dir);
  const alpn: Array<string | false | undefined> = [];
  const sessions = new Set<Http2Session>();
  const server = createSecureH2Server({ key: readFileSync(tls.key), cert: readFileSync(tls.cert) });
  server.on('session', (session) => sessions.add(session));
  server.on('stream', (stream) => {
    alpn.push(stream.session?.alpnProtocol);
    stream.respond({ ':status': 200 });
    stream.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const session of sessions) session.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { output, ctx } = await createOutput(t, url, { skipVerify: true });
  await output.write([{ ...requestMessage('GET /x HTTP/1.1\r\nHost: x\r\n\r\n'), protocol: 'h2' }]);
  await output.flush!();
  assert.deepEqual(alpn, ['h2']);
  assert.equal(ctx.counters.failed, undefined);
});

/** Splits a tracked response's bytes into head, de-chunked body and trailer section text. */
function chunkedParts(message: Message): { head: string; body: string; trailers: string } {
  const bytes = Buffer.from(message.payload);
  const end = findHeadEnd(bytes);
  const head = bytes.subarray(0, end).toString('latin1');
  assert.match(head, /\r\ntransfer-encoding: chunked\r\n/i);
  const decoded = dechunk(bytes, end)!;
  assert.ok(decoded.isComplete);
  const text = bytes.toString('latin1');
  const last = text.lastIndexOf('\r\n0\r\n') >= 0 ? text.lastIndexOf('\r\n0\r\n') + 5 : end + 3;
  return { head, body: decoded.body.toString('latin1'), trailers: text.slice(last) };
}

test(
  'gRPC goes over HTTP/2 by itself; grpc-status from trailers and from a Trailers-Only head is counted and kept in the tracked response',
  T,
  async (t) => {
    const target = await startH2cServer(t, (stream, seen) => {
      const status = seen.headers[':path'] === '/svc/Fail' ? '14' : '0';
      if (status !== '0') {
        // Trailers-Only: one header block that ends the stream
        stream.respond(
          { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': status, 'grpc-message': 'unavailable' },
          { endStream: true },
        );
        return;
      }
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': status, 'grpc-message': 'fine' }));
      stream.end(Buffer.concat([Buffer.from([0, 0, 0, 0, 2]), Buffer.from('hi')]));
    });
    const { output, ctx } = await createOutput(t, target.url, { trackResponse: true });
    const grpcRequest = (path: string) =>
      requestMessage(
        Buffer.concat([
          Buffer.from(
            `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/grpc\r\nTE: trailers\r\nContent-Length: 8\r\n\r\n`,
            'latin1',
          ),
          Buffer.from([0, 0, 0, 0, 3]),
          Buffer.from('abc'),
        ]),
      );
    const ok = grpcRequest('/svc/Ok');
    const fail = grpcRequest('/svc/Fail');
    await output.write([ok, fail, requestMessage('GET /plain HTTP/1.1\r\nHost: x\r\n\r\n')]);
    await output.flush!();
    // the plain GET went over HTTP/1.1 and failed against an h2c-only server; both gRPC calls went over h2c
    assert.equal(ctx.counters['sent-h2'], 2);
    assert.equal(ctx.counters['grpc-status-0'], 1);
    assert.equal(ctx.counters['grpc-status-14'], 1);
    assert.equal(ctx.counters.failed, 1, 'only the HTTP/1.1 GET failed: a gRPC error is not an HTTP failure');
    for (const seen of target.seen) {
      assert.equal(seen.headers.te, 'trailers');
      assert.deepEqual(seen.body, Buffer.concat([Buffer.from([0, 0, 0, 0, 3]), Buffer.from('abc')]));
    }
    const responses = new Map(responsesOf(ctx.emitted).map((m) => [m.id, m]));
    const okParts = chunkedParts(responses.get(ok.id)!);
    assert.equal(okParts.body, '\0\0\0\0\x02hi');
    assert.equal(okParts.trailers, 'grpc-status: 0\r\ngrpc-message: fine\r\n\r\n');
    const failText = Buffer.from(responses.get(fail.id)!.payload).toString('latin1');
    assert.match(failText, /\r\ngrpc-status: 14\r\n/);
    assert.ok(failText.endsWith('\r\n\r\n'), 'a Trailers-Only response has no body');
    assert.ok(failText.startsWith('HTTP/1.1 200 OK\r\n'), 'the standard reason phrase, as capture writes it');
  },
);

test('HTTP/1.1 chunked response trailers are kept in the tracked response', T, async (t) => {
  const target = await startRecordingServer(t, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', Trailer: 'X-Checksum' });
    res.write('part1-');
    res.addTrailers({ 'X-Checksum': 'abc123' });
    res.end('part2');
  });
  const { output, ctx } = await createOutput(t, target.url, { trackResponse: true });
  await output.write([requestMessage('GET /t HTTP/1.1\r\nHost: x\r\n\r\n')]);
  await output.flush!();
  const [response] = responsesOf(ctx.emitted);
  const parts = chunkedParts(response!);
  assert.equal(parts.body, 'part1-part2');
  assert.equal(parts.trailers.toLowerCase(), 'x-checksum: abc123\r\n\r\n');
  assert.doesNotMatch(parts.head, /content-length|\r\ntrailer:/i);
});

test('an h2c record with a chunked body and request trailers replays over HTTP/1.1 with its body intact', T, async (t) => {
  const trailers: Array<Record<string, string | undefined>> = [];
  const target = await startRecordingServer(t, (req, res) => {
    trailers.push(req.trailers);
    res.end('ok');
  });
  const { output, ctx } = await createOutput(t, target.url, { protocol: 'http1' });
  const recorded = h2cMessage(
    'POST /upload HTTP/1.1\r\nHost: recorded.example\r\ncontent-type: application/octet-stream\r\ntransfer-encoding: chunked\r\n\r\n' +
      'b\r\nhello world\r\n0\r\nx-digest: 42\r\n\r\n',
  );
  await output.write([recorded]);
  await output.flush!();
  assert.equal(ctx.counters['sent-h2'], undefined);
  assert.equal(target.seen.length, 1);
  assert.equal(target.seen[0]!.body.toString(), 'hello world');
  assert.equal(target.seen[0]!.method, 'POST');
  assert.deepEqual(trailers, [{}], 'request trailers are not sent: undici 7 cannot (documented)');
});

test('over HTTP/2 many requests are multiplexed on few connections, every method included; each stream arrives as sent', T, async (t) => {
  let open = 0;
  let maxOpen = 0;
  const target = await startH2cServer(t, (stream, seen) => {
    setTimeout(() => {
      open--;
      stream.respond({ ':status': 200 });
      stream.end(`echo:${seen.headers[':path']}:${seen.body.toString()}`);
    }, 20);
  });
  target.server.on('stream', () => {
    open++;
    maxOpen = Math.max(maxOpen, open);
  });
  const { output, ctx } = await createOutput(t, target.url, { protocol: 'h2c', workers: 2, pipelining: 8, trackResponse: true });
  const requests = Array.from({ length: 40 }, (_, i) =>
    requestMessage(`POST /item/${i} HTTP/1.1\r\nHost: x\r\nContent-Length: ${String(i).length + 5}\r\n\r\nbody-${i}`),
  );
  await output.write(requests);
  await output.flush!();
  assert.equal(target.seen.length, 40);
  assert.ok(maxOpen > 2, `streams in flight at once: ${maxOpen}`);
  assert.ok(maxOpen <= 16, `at most workers × pipelining streams: ${maxOpen}`);
  assert.ok(new Set(target.seen.map((s) => s.session)).size <= 2, 'at most --output-http-workers connections');
  const byPath = new Map(target.seen.map((s) => [s.headers[':path'], s.body.toString()]));
  for (let i = 0; i < 40; i++) assert.equal(byPath.get(`/item/${i}`), `body-${i}`);
  const answers = new Map(responsesOf(ctx.emitted).map((m) => [m.id, Buffer.from(m.payload).toString('latin1')]));
  for (const [i, r] of requests.entries()) assert.ok(answers.get(r.id)!.endsWith(`echo:/item/${i}:body-${i}`), `response of request ${i}`);
});

test('a forced HTTP/2 flavour that does not match the target scheme is a configuration error naming the option', T, async (t) => {
  await assert.rejects(createOutput(t, 'https://127.0.0.1:9', { protocol: 'h2c' }), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'RPR_CONFIG_INVALID');
    assert.match(e.message, /protocol h2c .*https:\/\/ \(use h2\)/);
    return true;
  });
  await assert.rejects(createOutput(t, 'http://127.0.0.1:9', { protocol: 'h2' }), /protocol h2 .*http:\/\/ \(use h2c\)/);
});

test('with sessions over h2c, each recorded session gets its own HTTP/2 connection and its requests arrive in order', T, async (t) => {
  // the first request of each session is slow: on a shared connection the next would overtake it
  const target = await startH2cServer(t, (stream, seen) => {
    setTimeout(
      () => {
        stream.respond({ ':status': 200 });
        stream.end('ok');
      },
      (seen.headers[':path'] as string).endsWith('/1') ? 50 : 0,
    );
  });
  const { output, ctx } = await createOutput(t, target.url, { protocol: 'h2c' }, { sessions: true });
  const request = (session: number, n: number): Message => ({
    ...requestMessage(`GET /s${session}/${n} HTTP/1.1\r\nHost: x\r\n\r\n`),
    id: session.toString(16).padStart(16, '0') + n.toString(16).padStart(8, '0'),
  });
  const batch: Message[] = [];
  for (let n = 1; n <= 3; n++) for (let s = 0; s < 3; s++) batch.push(request(s, n));
  await output.write(batch);
  await output.flush!();
  assert.equal(ctx.counters.failed, undefined);
  for (let s = 0; s < 3; s++) {
    const mine = target.seen.filter((x) => (x.headers[':path'] as string).startsWith(`/s${s}/`));
    assert.deepEqual(
      mine.map((x) => x.headers[':path']),
      [`/s${s}/1`, `/s${s}/2`, `/s${s}/3`],
      `session ${s} in order`,
    );
    assert.equal(new Set(mine.map((x) => x.session)).size, 1, `session ${s} on one connection`);
  }
  assert.equal(new Set(target.seen.map((x) => x.session)).size, 3);
});

test(
  'h2 to an https:// server that offers only http/1.1 by ALPN falls back to HTTP/1.1; an unverified certificate is a tls failure',
  T,
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-h2-tls-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const tls = selfSignedCertificate(dir);
    const versions: string[] = [];
    const server = createHttpsServer({ key: readFileSync(tls.key), cert: readFileSync(tls.cert) }, (req, res) => {
      versions.push(req.httpVersion);
      res.end('h1');
    });
    const url = `https://127.0.0.1:${await listenUntilDone(t, server)}`;
    const strict = await createOutput(t, url, { protocol: 'h2' });
    await strict.output.write([requestMessage('GET /s HTTP/1.1\r\n\r\n')]);
    await strict.output.flush!();
    assert.equal(strict.ctx.counters.tls, 1);
    const lenient = await createOutput(t, url, { protocol: 'h2', skipVerify: true });
    await lenient.output.write([requestMessage('GET /s HTTP/1.1\r\n\r\n')]);
    await lenient.output.flush!();
    assert.equal(lenient.ctx.counters.failed, undefined);
    assert.deepEqual(versions, ['1.1']);
  },
);
