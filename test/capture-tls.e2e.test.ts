// HTTPS capture end to end: the built CLI with --input-raw-engine tshark and a key log decrypts
// curl's TLS 1.3 and 1.2 traffic (HTTP/1.1 and HTTP/2) to a Node secure server on lo; what the
// server saw is compared with what was recorded. A server whose keys are not logged is counted.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createSecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GorDecoder, headerValue, parseHttpHead, type Message } from '@reprise/core';
import { runCli, runWhileSending, tempDir } from './support/cli.js';
import { summaryCounters } from './support/gor.js';
import { selfSignedCertificate } from './support/tls-cert.js';

const run = promisify(execFile);

interface Seen {
  method: string;
  path: string;
  httpVersion: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A Node HTTPS server speaking HTTP/2 and HTTP/1.1 (ALPN), appending its TLS keys to `keylog` when given. */
async function secureServer(t: TestContext, dir: string, keylog: string | undefined) {
  const tls = selfSignedCertificate(dir);
  const seen: Seen[] = [];
  const server = createSecureServer({
    key: readFileSync(tls.key),
    cert: readFileSync(tls.cert),
    allowHTTP1: true,
  });
  if (keylog) server.on('keylog', (line) => appendFileSync(keylog, line));
  server.on('request', (req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      seen.push({ method: req.method, path: req.url, httpVersion: req.httpVersion, headers: req.headers, body: Buffer.concat(parts) });
      res.setHeader('content-type', 'text/plain');
      res.end(`ok:${req.url}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, seen };
}

function records(file: string): Message[] {
  const decoder = new GorDecoder();
  const out = decoder.end(decoder.push(readFileSync(file)));
  return out.map((d) => {
    assert.equal(d.type, 'record');
    return d.type === 'record' ? d.message : undefined!;
  });
}

const head = (m: Message) => parseHttpHead(m.payload)!;

/** The body of an HTTP/1.1-shaped message, with a chunked body's framing removed. */
function bodyOf(m: Message): Buffer {
  const h = head(m);
  const raw = Buffer.from(m.payload).subarray(h.bodyOffset);
  if (headerValue(h.headers, 'transfer-encoding') !== 'chunked') return raw;
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    const size = parseInt(raw.toString('latin1', at, lineEnd), 16);
    if (!size) return Buffer.concat(parts);
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

const CURL_CASES = [
  { name: 'tls13-h2', args: ['--http2', '--tlsv1.3'], h2: true },
  { name: 'tls13-h1', args: ['--http1.1', '--tlsv1.3', '-H', 'Transfer-Encoding: chunked'], h2: false },
  { name: 'tls12-h1', args: ['--http1.1', '--tlsv1.2', '--tls-max', '1.2'], h2: false },
  { name: 'tls12-h2', args: ['--http2', '--tlsv1.2', '--tls-max', '1.2'], h2: true },
];

test('tshark engine: TLS 1.3 and 1.2, HTTP/1.1 and HTTP/2 from curl are decrypted and recorded as the server saw them', {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir(t);
  const keylog = join(dir, 'keys.log');
  writeFileSync(keylog, '', { mode: 0o600 });
  const server = await secureServer(t, dir, keylog);
  const file = join(dir, 'tls.gor');
  const body = (name: string) => `{"case":"${name}","pad":"${'p'.repeat(3000)}"}`;
  const result = await runWhileSending(
    [
      '--input-raw',
      `:${server.port}`,
      '--input-raw-engine',
      'tshark',
      '--input-raw-tls-keylog',
      keylog,
      '--input-raw-track-response',
      '--output-file',
      file,
    ],
    async () => {
      for (const c of CURL_CASES) {
        await run('curl', [
          '-sk',
          ...c.args,
          '-H',
          `x-case: ${c.name}`,
          '-H',
          'content-type: application/json',
          '--data-binary',
          body(c.name),
          `https://127.0.0.1:${server.port}/${c.name}?q=1`,
        ]);
      }
    },
  );
  assert.equal(result.code, 0, result.stderr);
  const messages = records(file);
  assert.equal(server.seen.length, CURL_CASES.length);
  for (const c of CURL_CASES) {
    const seen = server.seen.find((s) => s.path === `/${c.name}?q=1`)!;
    assert.equal(seen.httpVersion, c.h2 ? '2.0' : '1.1', `${c.name} negotiated as intended`);
    const request = messages.find((m) => m.kind === 'request' && head(m).startLine[1] === seen.path);
    assert.ok(request, `${c.name} was recorded:\n${result.stderr}`);
    assert.equal(request.protocol, c.h2 ? 'h2' : undefined, `${c.name} protocol token`);
    const h = head(request);
    assert.deepEqual(h.startLine, ['POST', seen.path, 'HTTP/1.1']);
    for (const name of ['x-case', 'content-type', 'user-agent'])
      assert.equal(headerValue(h.headers, name), seen.headers[name], `${name} of ${c.name}`);
    assert.equal(headerValue(h.headers, 'host'), c.h2 ? seen.headers[':authority'] : seen.headers.host);
    assert.deepEqual(bodyOf(request), seen.body, `body of ${c.name}`);
    const response = messages.find((m) => m.kind === 'response' && m.id === request.id);
    assert.ok(response, `the response to ${c.name}`);
    assert.equal(response.protocol, request.protocol);
    assert.equal(bodyOf(response).toString(), `ok:${seen.path}`);
  }
  const counters = summaryCounters(result.stderr, 'input-raw');
  assert.equal(counters['tls-no-keys'] ?? 0, 0);
  assert.equal(counters.requests, CURL_CASES.length);
});

test('tshark engine: a TLS server whose keys are not in the key log is counted (tls-no-keys), nothing guessed', {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir(t);
  const keylog = join(dir, 'keys.log');
  writeFileSync(keylog, '', { mode: 0o600 });
  const server = await secureServer(t, dir, undefined);
  const file = join(dir, 'nokeys.gor');
  const result = await runWhileSending(
    [
      '--input-raw',
      `:${server.port}`,
      '--input-raw-engine',
      'tshark',
      '--input-raw-tls-keylog',
      keylog,
      '--input-raw-track-response',
      '--output-file',
      file,
    ],
    async () => {
      await run('curl', ['-sk', '--http2', `https://127.0.0.1:${server.port}/secret-1`]);
      await run('curl', ['-sk', '--http1.1', '--tlsv1.2', '--tls-max', '1.2', `https://127.0.0.1:${server.port}/secret-2`]);
    },
  );
  assert.equal(result.code, 0, result.stderr);
  assert.equal(server.seen.length, 2);
  assert.deepEqual(records(file), []);
  const counters = summaryCounters(result.stderr, 'input-raw');
  assert.equal(counters['tls-no-keys'], 2);
  assert.equal(counters['non-http'] ?? 0, 0);
});

test('--input-raw-tls-keylog without the tshark engine, or naming a missing file, is refused with the option named', {
  timeout: 30_000,
}, async (t) => {
  const dir = tempDir(t);
  const wrongEngine = await runCli(['--input-raw', ':8443', '--input-raw-tls-keylog', join(dir, 'k.log'), '--output-stdout']);
  assert.equal(wrongEngine.code, 2, wrongEngine.stderr);
  assert.match(wrongEngine.stderr, /tls-keylog|tlsKeylog/);
  assert.match(wrongEngine.stderr, /--input-raw-engine tshark/);
  const missing = await runCli([
    '--input-raw',
    ':8443',
    '--input-raw-engine',
    'tshark',
    '--input-raw-tls-keylog',
    join(dir, 'missing.log'),
    '--output-stdout',
  ]);
  assert.equal(missing.code, 4, missing.stderr);
  assert.match(missing.stderr, /no such key log file: .*missing\.log/);
});
