import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '@reprise/core';
import { createOutput, startRecordingServer } from './helpers.js';

const T = { timeout: 15_000 };

/** Request `n` of session `session` (a GoReplay-layout id: 16 hex digits of connection, 8 of exchange). */
function sessionRequest(session: number, n: number): Message {
  return {
    kind: 'request',
    id: session.toString(16).padStart(16, '0') + n.toString(16).padStart(8, '0'),
    timestamp: 0n,
    latency: 0n,
    payload: Buffer.from(`GET /s${session}/${n} HTTP/1.1\r\nHost: x\r\n\r\n`),
  };
}

/** Interleaved: s0/1, s1/1, s2/1, s0/2, … */
function interleaved(sessions: number, perSession: number): Message[] {
  const list: Message[] = [];
  for (let n = 1; n <= perSession; n++) for (let s = 0; s < sessions; s++) list.push(sessionRequest(s, n));
  return list;
}

async function portRecordingServer(t: Parameters<typeof startRecordingServer>[0], delayFor: (url: string) => number = () => 0) {
  const ports = new Map<string, number>(); // url → client port it arrived on
  const target = await startRecordingServer(t, (req, res) => {
    ports.set(req.url!, req.socket.remotePort!);
    setTimeout(() => res.end('ok'), delayFor(req.url!));
  });
  return { ...target, ports };
}

test("with sessions, each session's requests arrive in order on one connection of its own", T, async (t) => {
  // The first request of each session is slow: without a connection per session the next would overtake it.
  const target = await portRecordingServer(t, (url) => (url.endsWith('/1') ? 50 : 0));
  const { output, ctx } = await createOutput(t, target.url, { workers: 8 }, { sessions: true });
  await output.write(interleaved(4, 5));
  await output.flush!();
  assert.equal(ctx.counters.failed, undefined);
  for (let s = 0; s < 4; s++) {
    const urls = target.seen.map((x) => x.url).filter((u) => u.startsWith(`/s${s}/`));
    assert.deepEqual(
      urls,
      [1, 2, 3, 4, 5].map((n) => `/s${s}/${n}`),
      `session ${s} in order`,
    );
    assert.equal(new Set(urls.map((u) => target.ports.get(u))).size, 1, `session ${s} on one connection`);
  }
  const connections = new Set(target.ports.values());
  assert.equal(connections.size, 4, 'one connection per session');
});

test('without sessions, the same requests spread over the shared pool', T, async (t) => {
  const target = await portRecordingServer(t, (url) => (url.endsWith('/1') ? 50 : 0));
  const { output } = await createOutput(t, target.url, { workers: 8, pipelining: 1 });
  await output.write(interleaved(4, 5));
  await output.flush!();
  const s0 = target.seen.map((x) => x.url).filter((u) => u.startsWith('/s0/'));
  assert.ok(new Set(s0.map((u) => target.ports.get(u))).size > 1, 'session 0 was not kept on one connection');
});

test('at most sessionConnections sessions keep a connection: the least recently used closes', T, async (t) => {
  const target = await portRecordingServer(t);
  const { output, ctx } = await createOutput(t, target.url, { sessionConnections: 2 }, { sessions: true });
  for (const batch of [
    [sessionRequest(0, 1)],
    [sessionRequest(1, 1)],
    [sessionRequest(0, 2)],
    [sessionRequest(2, 1)],
    [sessionRequest(0, 3)],
  ]) {
    await output.write(batch);
    await output.flush!();
  }
  assert.equal(ctx.counters['sessions-closed'], 1, 'session 1 (least recently used) was closed for session 2');
  assert.equal(target.ports.get('/s0/1'), target.ports.get('/s0/3'), 'session 0, used recently, kept its connection');
  assert.equal(target.seen.length, 5);
});

test('by default 256 sessions keep their connections open at once', T, async (t) => {
  const target = await portRecordingServer(t);
  const { output, ctx } = await createOutput(t, target.url, {}, { sessions: true });
  await output.write(Array.from({ length: 257 }, (_, s) => sessionRequest(s, 1)));
  await output.flush!();
  assert.equal(target.seen.length, 257);
  assert.equal(ctx.counters['sessions-closed'], 1, 'the 257th session closed the least recently used one');
});
