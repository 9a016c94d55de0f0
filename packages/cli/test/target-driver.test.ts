import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Exchange } from '@reprise/compare';
import type { Message } from '@reprise/core';
import { createRecordingContext } from '@reprise/core/testing';
import { ExchangeJoiner } from '../src/compare/exchange-joiner.js';
import { createTargetDriver } from '../src/compare/target-driver.js';

const T = { timeout: 20_000 };

/** Two servers sharing one arrival counter, so the order in which a request reached each side is known. */
async function pairOfServers(t: { after(fn: () => Promise<void>): void }) {
  let arrivals = 0;
  const seen = new Map<string, Array<{ side: string; at: number }>>();
  const start = async (side: string) => {
    const server = createServer((req, res) => {
      const list = seen.get(req.url!) ?? [];
      list.push({ side, at: arrivals++ });
      seen.set(req.url!, list);
      res.end(side);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  return { baseline: await start('baseline'), candidate: await start('candidate'), seen };
}

function requests(count: number, method = 'GET'): Message[] {
  return Array.from({ length: count }, (_, i) => ({
    kind: 'request' as const,
    id: (i + 1).toString(16).padStart(24, '0'),
    timestamp: 1n,
    latency: 0n,
    payload: Buffer.from(`${method} /r/${i} HTTP/1.1\r\nHost: x\r\n${method === 'POST' ? 'Content-Length: 0\r\n' : ''}\r\n`),
  }));
}

test('each request reaches both sides, in a random order per request; responses are tagged with their side', T, async (t) => {
  const { baseline, candidate, seen } = await pairOfServers(t);
  const exchanges: Exchange[] = [];
  const joiner = new ExchangeJoiner((e) => exchanges.push(e), false);
  const ctx = createRecordingContext('compare');
  const driver = createTargetDriver({ baseline, candidate, allowSideEffects: false }, { timeoutMs: 5000, workers: 4 }, joiner, ctx);
  t.after(() => driver.close!());
  // One request at a time, so the arrival order is the sending order.
  for (const request of requests(60)) {
    await driver.write([request]);
    await driver.flush!();
  }
  const firsts = [...seen.values()].map((list) => list.sort((a, b) => a.at - b.at)[0]!.side);
  assert.equal(firsts.length, 60);
  assert.ok(firsts.includes('baseline') && firsts.includes('candidate'), `first arrivals: ${firsts.join(',')}`);
  for (const list of seen.values()) assert.deepEqual(list.map((s) => s.side).sort(), ['baseline', 'baseline', 'candidate', 'candidate']);
  assert.equal(ctx.emitted.length, 240);
  assert.ok(
    ctx.emitted.every((m) => m.kind === 'replayed-response' && m.payload.toString().endsWith(m.meta!.role!)),
    'each response says which side answered',
  );
});

test('a side that does not answer is reported to the joiner as failed, by side and reason', T, async (t) => {
  const { baseline } = await pairOfServers(t);
  const exchanges: Exchange[] = [];
  const joiner = new ExchangeJoiner((e) => exchanges.push(e), false);
  const ctx = createRecordingContext('compare');
  const driver = createTargetDriver(
    { baseline, candidate: 'http://127.0.0.1:1', allowSideEffects: false },
    { timeoutMs: 5000, workers: 2 },
    joiner,
    ctx,
  );
  t.after(() => driver.close!());
  await driver.write(requests(3, 'POST'));
  await driver.flush!();
  for (const m of ctx.emitted) joiner.replied(m.meta!.role as 'baseline', m); // what the sink does
  assert.equal(exchanges.length, 3);
  for (const e of exchanges) {
    assert.equal(e.baseline.length, 1, 'POST goes once');
    assert.deepEqual(e.errors, [{ target: 'candidate', reason: 'refused' }]);
  }
  assert.equal(ctx.counters.get('candidate-refused'), 3);
});
