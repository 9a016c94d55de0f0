// Replay over HTTP/2 end to end: the built CLI reads .gor files (built with the codec, as capture writes
// h2c records) and replays them to Node http2 servers (h2c and h2 over TLS) and to a @grpc/grpc-js
// server; what each server saw is compared with what was recorded, stream by stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createSecureServer, type IncomingHttpHeaders, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { dechunk, findHeadEnd, type Message } from '@reprise/core';
import { recordingServer, runCli, tempDir } from './support/cli.js';
import { compare } from './support/compare-run.js';
import { readRecords, summaryCounters, writeGor } from './support/gor.js';
import { startEchoGrpcServer } from './support/grpc-echo.js';
import { selfSignedCertificate } from './support/tls-cert.js';

const T = { timeout: 90_000 };

let nextId = 0x500000;
function record(payload: Buffer | string, protocol?: 'h2c' | 'h2', kind: Message['kind'] = 'request', id?: string): Message {
  return {
    kind,
    id: id ?? (nextId++).toString(16).padStart(24, 'b'),
    timestamp: 1_795_574_173_000_000_000n + BigInt(nextId) * 1_000_000n,
    latency: 0n,
    payload: typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload,
    ...(protocol ? { protocol } : {}),
  };
}

/** A gRPC message frame: not compressed, 4-byte length, bytes. */
function frame(message: string): Buffer {
  const body = Buffer.from(message);
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32BE(body.length, 1);
  body.copy(out, 5);
  return out;
}

/** A gRPC call as capture records it from h2c: HTTP/1.1-shaped, its protocol token h2c. */
function grpcCall(port: number, path: string, message: string): Message {
  const body = frame(message);
  const head =
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\ncontent-type: application/grpc\r\nte: trailers\r\n` +
    `user-agent: grpc-node-js/1.14\r\ncontent-length: ${body.length}\r\n\r\n`;
  return record(Buffer.concat([Buffer.from(head, 'latin1'), body]), 'h2c');
}

/** The calls of the test: unary, server-streaming and a Trailers-Only error, `rounds` times, each with its own message. */
function grpcCalls(port: number, rounds: number): Message[] {
  const calls: Message[] = [];
  for (let i = 0; i < rounds; i++) {
    calls.push(
      grpcCall(port, '/test.Echo/Echo', `hello-${i}`),
      grpcCall(port, '/test.Echo/Count', `three-${i}`),
      grpcCall(port, '/test.Echo/Fail', `missing-${i}`),
    );
  }
  return calls;
}

const pathOf = (m: Message) => Buffer.from(m.payload).toString('latin1').split(' ', 2)[1]!;

/** The head, de-chunked body and trailer section of a type 3 record's payload (latin1). */
function bodyAndTrailers(payload: string): { head: string; body: string; trailers: string } {
  const bytes = Buffer.from(payload, 'latin1');
  const end = findHeadEnd(bytes);
  const head = payload.slice(0, end);
  if (!/transfer-encoding: chunked/i.test(head)) return { head, body: payload.slice(end), trailers: '' };
  const body = dechunk(bytes, end)!.body.toString('latin1');
  // replayed responses carry the body as one chunk: size line, data, CRLF, then the last chunk `0`
  const lastChunk = body.length === 0 ? end : payload.indexOf('\r\n', end) + 2 + body.length + 2;
  assert.equal(payload.slice(lastChunk, lastChunk + 3), '0\r\n');
  return { head, body, trailers: payload.slice(lastChunk + 3) };
}

test('gRPC calls recorded as h2c replay to a @grpc/grpc-js server; type 3 records keep grpc-status; statuses are counted', T, async (t) => {
  const server = await startEchoGrpcServer(t);
  const dir = tempDir(t);
  const input = join(dir, 'grpc.gor');
  const output = join(dir, 'replayed.gor');
  const calls = grpcCalls(server.port, 20);
  writeGor(input, calls);
  const result = await runCli([
    '--input-file',
    input,
    '--input-file-no-wait',
    '--output-http',
    `http://127.0.0.1:${server.port}`,
    '--output-http-track-response',
    '--output-http-workers',
    '2',
    '--output-http-pipelining',
    '16',
    '--output-file',
    output,
  ]); // prettier-ignore
  assert.equal(result.code, 0, result.stderr);

  // stream by stream: every call arrived once, with its own message
  const sent = calls
    .map(
      (m) =>
        `${pathOf(m)} ${Buffer.from(m.payload)
          .subarray(findHeadEnd(m.payload) + 5)
          .toString()}`,
    )
    .sort();
  assert.deepEqual(server.seen.map((c) => `${c.path} ${c.request.toString()}`).sort(), sent);

  const counters = summaryCounters(result.stderr, 'output-http');
  assert.equal(counters['sent-h2'], 60);
  assert.equal(counters['grpc-status-0'], 40);
  assert.equal(counters[`grpc-status-${grpc.status.NOT_FOUND}`], 20);
  assert.equal(counters.failed ?? 0, 0, 'a gRPC error status is not an HTTP failure');

  const replayed = new Map(
    readRecords(output)
      .filter((r) => r.type === '3')
      .map((r) => [r.id, r.payload]),
  );
  assert.equal(replayed.size, 60);
  for (const [i, call] of calls.entries()) {
    const { head, body, trailers } = bodyAndTrailers(replayed.get(call.id)!);
    const round = Math.floor(i / 3);
    if (pathOf(call) === '/test.Echo/Fail') {
      // Trailers-Only: the status is in the head, there is no body
      assert.match(head, /\r\ngrpc-status: 5\r\n/);
      assert.match(head, /\r\ngrpc-message: no%20such%20thing\r\n/);
      assert.equal(body, '');
    } else {
      assert.match(trailers, /^grpc-status: 0\r\n/, `trailers of ${pathOf(call)}`);
      if (pathOf(call) === '/test.Echo/Echo') assert.equal(body, frame(`echo:hello-${round}`).toString('latin1'));
      else assert.equal(body, ['n0', 'n1', 'n2'].map((n) => frame(n).toString('latin1')).join(''));
    }
  }
});

test('h2c-recorded traffic replayed with --output-http-protocol http1 reaches an HTTP/1.1 server with the same requests', T, async (t) => {
  const target = await recordingServer(t);
  const dir = tempDir(t);
  const input = join(dir, 'h2c.gor');
  writeGor(input, [
    record('GET /a?q=1 HTTP/1.1\r\nHost: recorded\r\naccept: */*\r\ncontent-length: 0\r\n\r\n', 'h2c'),
    record(
      'POST /b HTTP/1.1\r\nHost: recorded\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nx-sum: 5\r\n\r\n',
      'h2c',
    ),
  ]);
  const result = await runCli([
    '--input-file',
    input,
    '--input-file-no-wait',
    '--output-http',
    target.url,
    '--output-http-protocol',
    'http1',
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(target.received.map((r) => `${r.method} ${r.url} ${r.body.toString()}`).sort(), ['GET /a?q=1 ', 'POST /b hello']);
  assert.equal(summaryCounters(result.stderr, 'output-http')['sent-h2'], undefined);
});

test('--output-http-protocol h2 replays HTTP/1-recorded traffic over TLS (ALPN h2) to a Node secure HTTP/2 server', T, async (t) => {
  const dir = tempDir(t);
  const { cert, key } = selfSignedCertificate(dir);
  const seen: Array<{ headers: IncomingHttpHeaders; body: string; alpn: string | false | undefined }> = [];
  const sessions = new Set<ServerHttp2Session>();
  // allowHTTP1 false: an HTTP/1.1 request over this TLS server fails, so every answer proves h2
  const server = createSecureServer({ cert: readFileSync(cert), key: readFileSync(key) });
  server.on('session', (s) => sessions.add(s));
  server.on('stream', (stream, headers) => {
    const parts: Buffer[] = [];
    stream.on('data', (d: Buffer) => parts.push(d));
    stream.on('end', () => {
      seen.push({ headers, body: Buffer.concat(parts).toString(), alpn: stream.session?.alpnProtocol });
      stream.respond({ ':status': 201, 'x-path': headers[':path'] as string });
      stream.end('made');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of sessions) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const port = (server.address() as AddressInfo).port;
  const input = join(dir, 'h1.gor');
  writeGor(
    input,
    Array.from({ length: 10 }, (_, i) =>
      record(
        `PUT /doc/${i} HTTP/1.1\r\nHost: recorded\r\nConnection: keep-alive\r\nContent-Length: ${String(i).length + 4}\r\n\r\ndoc-${i}`,
      ),
    ),
  );
  const output = join(dir, 'out.gor');
  const result = await runCli([
    '--input-file',
    input,
    '--input-file-no-wait',
    '--output-http',
    `https://127.0.0.1:${port}`,
    '--output-http-protocol',
    'h2',
    '--output-http-skip-verify',
    '--output-http-track-response',
    '--output-file',
    output,
  ]); // prettier-ignore
  assert.equal(result.code, 0, result.stderr);
  assert.equal(seen.length, 10);
  for (const s of seen) {
    assert.equal(s.alpn, 'h2');
    assert.equal(s.headers[':scheme'], 'https');
    assert.equal(s.headers[':authority'], `127.0.0.1:${port}`);
    assert.equal(s.headers.connection, undefined);
    assert.equal(s.body, `doc-${(s.headers[':path'] as string).slice('/doc/'.length)}`);
  }
  const replayed = readRecords(output).filter((r) => r.type === '3');
  assert.equal(replayed.length, 10);
  assert.ok(replayed.every((r) => r.payload.startsWith('HTTP/1.1 201 ') && r.payload.endsWith('\r\n\r\nmade')));
});

test('reprise compare against an h2c gRPC server: the same service passes, a changed answer is reported', T, async (t) => {
  const recordedServer = await startEchoGrpcServer(t);
  const dir = tempDir(t);
  // The recorded responses (type 2) are what the service answered: replay once and keep its answers.
  const calls = grpcCalls(recordedServer.port, 5).filter((m) => pathOf(m) !== '/test.Echo/Count');
  const requestsFile = join(dir, 'requests.gor');
  writeGor(requestsFile, calls);
  const answersFile = join(dir, 'answers.gor');
  const replay = await runCli([
    '--input-file',
    requestsFile,
    '--input-file-no-wait',
    '--output-http',
    `http://127.0.0.1:${recordedServer.port}`,
    '--output-http-track-response',
    '--output-file',
    answersFile,
  ]); // prettier-ignore
  assert.equal(replay.code, 0, replay.stderr);
  const answers = readRecords(answersFile).filter((r) => r.type === '3');
  assert.equal(answers.length, calls.length);
  const baselineFile = join(dir, 'baseline.gor');
  writeGor(baselineFile, [...calls, ...answers.map((a) => record(a.payload, 'h2c', 'response', a.id))]);

  const same = await compare([
    '--input-file',
    baselineFile,
    '--input-file-no-wait',
    '--candidate',
    `http://127.0.0.1:${recordedServer.port}`,
  ]);
  assert.equal(same.code, 0, `the same service passes\n${same.stderr}`);
  const changed = await startEchoGrpcServer(t, 'ECHO:');
  const differs = await compare(['--input-file', baselineFile, '--input-file-no-wait', '--candidate', `http://127.0.0.1:${changed.port}`]);
  assert.equal(differs.code, 5, `a changed echo fails the verdict\n${differs.stderr}`);
  assert.equal(changed.seen.length, calls.length, 'every call reached the candidate over h2c');
});
