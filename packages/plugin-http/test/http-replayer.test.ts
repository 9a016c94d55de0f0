import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '@reprise/core';
import type { FailureReason } from '../src/failure-reason.js';
import { HttpReplayer } from '../src/http-replayer.js';
import { closedPort, makeContext, requestMessage, startRecordingServer } from './helpers.js';

const T = { timeout: 15_000 };

function replayer(
  t: { after(fn: () => Promise<void>): void },
  origin: string,
  timeoutMs: number,
  pool = { connections: 8, pipelining: 1 },
) {
  const failures: Array<[string, FailureReason]> = [];
  const responses: Message[] = [];
  const ctx = makeContext();
  const instance = new HttpReplayer({
    origin,
    hostHeader: undefined,
    ...pool,
    maxInFlight: 1000,
    timeoutMs,
    redirects: 0,
    skipVerify: false,
    protocol: 'auto',
    onResponses: (batch) => responses.push(...batch),
    onFailure: (request, reason) => failures.push([request.id, reason]),
    stats: ctx.stats,
  });
  t.after(() => instance.close());
  return { instance, failures, responses };
}

test('each request that gets no response is reported once by id with its reason, answered ones are not', T, async (t) => {
  const target = await startRecordingServer(t, (req, res) => {
    if (Number(req.url!.slice(1)) % 2 === 0) res.end('ok'); // odd paths never get an answer
  });
  const { instance, failures, responses } = replayer(t, target.url, 300);
  const requests = Array.from({ length: 6 }, (_, i) => requestMessage(`GET /${i} HTTP/1.1\r\n\r\n`));
  await instance.write(requests);
  await instance.flush();
  assert.equal(responses.length, 3);
  assert.equal(failures.length, 3);
  assert.ok(failures.every(([, reason]) => reason === 'timeout'));
  const answered = new Set(responses.map((r) => r.id));
  assert.deepEqual(new Set([...answered, ...failures.map(([id]) => id)]), new Set(requests.map((r) => r.id)));
});

test('a refused connection and an unparsable request are reported as failures with their reasons', T, async (t) => {
  const { instance, failures } = replayer(t, `http://127.0.0.1:${await closedPort()}`, 2000);
  const refused = requestMessage('GET /a HTTP/1.1\r\n\r\n');
  const garbage = requestMessage('not http at all');
  await instance.write([refused, garbage]);
  await instance.flush();
  assert.deepEqual(
    new Map(failures),
    new Map<string, FailureReason>([
      [refused.id, 'refused'],
      [garbage.id, 'invalid-request'],
    ]),
  );
});

// One connection without pipelining: two requests are handed to undici, the others wait in the replayer.
const NARROW = { connections: 1, pipelining: 1 };

test('requests beyond the dispatch window wait, then all go out in order; an unparsable one among them is counted', T, async (t) => {
  const target = await startRecordingServer(t);
  const { instance, failures, responses } = replayer(t, target.url, 5000, NARROW);
  const requests = Array.from({ length: 300 }, (_, i) => requestMessage(i === 150 ? 'not http' : `GET /${i} HTTP/1.1\r\n\r\n`));
  await instance.write(requests);
  await instance.flush();
  assert.deepEqual(failures, [[requests[150]!.id, 'invalid-request']]);
  assert.equal(responses.length, 299);
  const paths = Array.from({ length: 300 }, (_, i) => `/${i}`).filter((p) => p !== '/150');
  assert.deepEqual(
    target.seen.map((r) => r.url),
    paths,
    'each once, in recorded order',
  );
});

test('waiting requests time out once each and are never sent after their deadline', T, async (t) => {
  const target = await startRecordingServer(t, () => {}); // never answers
  const { instance, failures, responses } = replayer(t, target.url, 300, NARROW);
  const requests = Array.from({ length: 6 }, (_, i) => requestMessage(`GET /${i} HTTP/1.1\r\n\r\n`));
  await instance.write(requests);
  await instance.flush();
  const sentBeforeDeadlines = target.seen.length;
  await new Promise((resolve) => setTimeout(resolve, 300)); // room for a late send to show
  assert.equal(responses.length, 0);
  assert.deepEqual(
    failures,
    requests.map((r) => [r.id, 'timeout']),
  );
  assert.equal(target.seen.length, sentBeforeDeadlines, 'nothing written once every request had timed out');
  assert.ok(sentBeforeDeadlines >= 1);
});

test('close() counts waiting requests as aborted and never sends them', T, async (t) => {
  const target = await startRecordingServer(t, () => {}); // never answers
  const { instance, failures } = replayer(t, target.url, 5000, NARROW);
  const requests = Array.from({ length: 20 }, (_, i) => requestMessage(`GET /${i} HTTP/1.1\r\n\r\n`));
  await instance.write(requests);
  while (target.seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  await instance.close();
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(
    failures,
    requests.map((r) => [r.id, 'aborted']),
  );
  assert.deepEqual(
    target.seen.map((r) => r.url),
    ['/0'],
  );
});
