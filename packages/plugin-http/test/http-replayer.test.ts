import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '@reprise/core';
import type { FailureReason } from '../src/failure-reason.js';
import { HttpReplayer } from '../src/http-replayer.js';
import { closedPort, makeContext, requestMessage, startRecordingServer } from './helpers.js';

const T = { timeout: 15_000 };

function replayer(t: { after(fn: () => Promise<void>): void }, origin: string, timeoutMs: number) {
  const failures: Array<[string, FailureReason]> = [];
  const responses: Message[] = [];
  const ctx = makeContext();
  const instance = new HttpReplayer({
    origin,
    hostHeader: undefined,
    connections: 8,
    pipelining: 1,
    maxInFlight: 100,
    timeoutMs,
    redirects: 0,
    skipVerify: false,
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
  assert.deepEqual(new Map(failures), new Map<string, FailureReason>([[refused.id, 'refused'], [garbage.id, 'invalid-request']]));
});
