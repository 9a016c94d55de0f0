// --recognize-tcp-sessions end to end: a recording of sessions (a login that returns a token, then
// requests that need it) replayed as fast as possible through a token-mapping script to a real server
// that issues its own tokens and rejects any other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { encodeRecords, type Message } from '@reprise/core';
import { recordingServer, repoRoot, runCli, tempDir } from './support/cli.js';
import { summaryCounters } from './support/gor.js';

const SESSIONS = 40;
const REQUESTS_PER_SESSION = 4;

/** Staging: /login answers a fresh token (chunked); /api/* needs one it issued, else 401. */
async function stagingServer(t: { after(fn: () => Promise<void>): void }) {
  const issued = new Set<string>();
  const counts = { accepted: 0, rejected: 0, logins: 0 };
  const order = new Map<string, string[]>(); // user → paths, as they arrived
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const user = /^\/(?:login|api)\/(\d+)/.exec(req.url!)?.[1] ?? '?';
      order.set(user, [...(order.get(user) ?? []), req.url!]);
      if (req.url!.startsWith('/login/')) {
        counts.logins++;
        const token = `stage-${user}-${randomBytes(6).toString('hex')}`;
        issued.add(token);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"token":');
        res.end(`"${token}"}`);
        return;
      }
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const isValid = token !== undefined && issued.has(token) && token.startsWith(`stage-${user}-`);
      counts[isValid ? 'accepted' : 'rejected']++;
      res.writeHead(isValid ? 200 : 401, { 'content-length': '2' });
      res.end(isValid ? 'ok' : 'no');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, counts, order };
}

/** GoReplay's id layout: client port, server port, client IPv4 (the session), then the exchange. */
function goreplayId(clientPort: number, exchange: number): string {
  const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');
  return hex(clientPort, 4) + hex(8080, 4) + hex(0x7f000001, 8) + hex(exchange, 8);
}

/** Sessions interleaved in time, client ports below and above the server's 8080. */
function recording(): Message[] {
  const start = BigInt(Date.now()) * 1_000_000n;
  const messages: Message[] = [];
  const crlf = (text: string) => Buffer.from(text.replace(/\n/g, '\r\n'));
  for (let s = 0; s < SESSIONS; s++) {
    const port = 6000 + s * 100;
    const at = (step: number) => start + BigInt(step * SESSIONS + s) * 1_000_000n;
    const loginId = goreplayId(port, 1);
    const body = `user=${s}`;
    messages.push({
      kind: 'request',
      id: loginId,
      timestamp: at(0),
      latency: 0n,
      payload: crlf(`POST /login/${s} HTTP/1.1\nHost: prod\nContent-Length: ${body.length}\n\n${body}`),
    });
    const answer = `{"token":"prod-${s}"}`;
    messages.push({
      kind: 'response',
      id: loginId,
      timestamp: at(0) + 500_000n,
      latency: 500_000n,
      payload: crlf(`HTTP/1.1 200 OK\nContent-Length: ${answer.length}\n\n${answer}`),
    });
    for (let k = 1; k <= REQUESTS_PER_SESSION; k++) {
      messages.push({
        kind: 'request',
        id: goreplayId(port, 1 + k * 977),
        timestamp: at(k),
        latency: 0n,
        payload: crlf(`GET /api/${s}/${k} HTTP/1.1\nHost: prod\nAuthorization: Bearer prod-${s}\n\n`),
      });
    }
  }
  return messages.sort((a, b) => (a.timestamp < b.timestamp ? -1 : 1));
}

const SCRIPT = `
const stagingTokenOf = new Map();
const tokenIn = (text) => /"token":"([^"]+)"/.exec(text)?.[1];
export function request(req) {
  const auth = req.headers.get('authorization');
  const token = auth && stagingTokenOf.get(auth.slice(7));
  if (token) req.headers.set('Authorization', 'Bearer ' + token);
  return req;
}
export function replayedResponse(res, req, original) {
  if (req?.path.startsWith('/login/') && original) stagingTokenOf.set(tokenIn(original.body), tokenIn(res.body));
  return res;
}
`;

async function replay(
  t: { after(fn: () => Promise<void>): void },
  dir: string,
  extra: string[],
  middleware = ['--middleware-script', join(dir, 'tokens.js')],
) {
  const staging = await stagingServer(t);
  const result = await runCli(
    [
      '--input-file',
      join(dir, 'sessions.gor'),
      '--input-file-no-wait',
      ...middleware,
      '--output-http',
      staging.url,
      '--output-http-track-response',
      '--output-http-workers',
      '16',
      ...extra,
    ],
    { timeoutMs: 60_000 },
  );
  return { staging, result };
}

test('with --recognize-tcp-sessions every request carries the token learnt from its own replayed login, at full speed', {
  timeout: 90_000,
}, async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'sessions.gor'), encodeRecords(recording()));
  writeFileSync(join(dir, 'tokens.js'), SCRIPT);

  const { staging, result } = await replay(t, dir, ['--recognize-tcp-sessions', '--session-response-timeout', '5s']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(staging.counts.logins, SESSIONS);
  assert.equal(staging.counts.rejected, 0, 'no request went out with a stale token');
  assert.equal(staging.counts.accepted, SESSIONS * REQUESTS_PER_SESSION);
  for (const [user, paths] of staging.order) {
    assert.deepEqual(
      paths,
      [`/login/${user}`, ...Array.from({ length: REQUESTS_PER_SESSION }, (_, k) => `/api/${user}/${k + 1}`)],
      `session ${user} in order`,
    );
  }
  const sessions = summaryCounters(result.stderr, 'sessions');
  assert.equal(sessions['timed-out'] ?? 0, 0, 'every held request was released by its response, not the timeout');
  assert.ok(sessions.in! > 0, 'requests were held');
});

test("the hold serves GoReplay's external middleware too: a Python token mapper gets every session right at full speed", {
  timeout: 90_000,
}, async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'sessions.gor'), encodeRecords(recording()));
  const python = join(repoRoot, 'packages/plugin-middleware/test/fixtures/token-middleware.py');
  const { staging, result } = await replay(
    t,
    dir,
    ['--recognize-tcp-sessions', '--session-response-timeout', '5s'],
    ['--middleware', `python3 ${python}`],
  );
  assert.equal(result.code, 0, result.stderr);
  assert.equal(staging.counts.logins, SESSIONS);
  assert.equal(staging.counts.rejected, 0, 'no request went out with a stale token');
  assert.equal(staging.counts.accepted, SESSIONS * REQUESTS_PER_SESSION);
});

test("without it the same replay races: requests overtake their session's login and carry the stale token", {
  timeout: 90_000,
}, async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'sessions.gor'), encodeRecords(recording()));
  writeFileSync(join(dir, 'tokens.js'), SCRIPT);

  const { staging, result } = await replay(t, dir, []);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(staging.counts.logins, SESSIONS);
  assert.ok(staging.counts.rejected > 0, `rejected ${staging.counts.rejected} of ${SESSIONS * REQUESTS_PER_SESSION}`);
});

test('--split-output with --recognize-tcp-sessions deals whole sessions to the targets, in order', { timeout: 90_000 }, async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'sessions.gor'), encodeRecords(recording()));
  const a = await recordingServer(t);
  const b = await recordingServer(t);
  const result = await runCli(
    [
      '--input-file',
      join(dir, 'sessions.gor'),
      '--input-file-no-wait',
      '--split-output',
      '--recognize-tcp-sessions',
      '--output-http',
      a.url,
      '--output-http',
      b.url,
    ],
    { timeoutMs: 60_000 },
  );
  assert.equal(result.code, 0, result.stderr);
  const usersOf = (server: typeof a) => new Set(server.received.map((r) => /^\/(?:login|api)\/(\d+)/.exec(r.url)![1]));
  const [inA, inB] = [usersOf(a), usersOf(b)];
  assert.equal(a.received.length + b.received.length, SESSIONS * (1 + REQUESTS_PER_SESSION));
  assert.ok(inA.size > 0 && inB.size > 0, `both targets get sessions (${inA.size}, ${inB.size})`);
  for (const user of inA) assert.ok(!inB.has(user), `session ${user} went to one target only`);
  for (const server of [a, b]) {
    for (const user of usersOf(server)) {
      const paths = server.received.map((r) => r.url).filter((u) => u === `/login/${user}` || u.startsWith(`/api/${user}/`));
      assert.deepEqual(paths, [`/login/${user}`, ...Array.from({ length: REQUESTS_PER_SESSION }, (_, k) => `/api/${user}/${k + 1}`)]);
    }
  }
});
