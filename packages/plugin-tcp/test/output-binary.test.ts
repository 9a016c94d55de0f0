import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import type { OutputInstance } from '@reprise/core';
import { outputBinary } from '../src/output-binary.js';
import { create, freePort, message } from './helpers.js';

const T = { timeout: 30_000 };

/** A line protocol server: answers each `PING x` line with `PONG x`; `closeAfterAnswer` answers once and hangs up. */
async function lineServer(t: TestContext, options: { isSilent?: boolean; closeAfterAnswer?: boolean } = {}) {
  const lines: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = '';
    socket.setEncoding('utf8').on('data', (text: string) => {
      pending += text;
      for (let i = pending.indexOf('\n'); i >= 0; i = pending.indexOf('\n')) {
        const line = pending.slice(0, i);
        pending = pending.slice(i + 1);
        lines.push(line);
        if (options.isSilent) continue;
        // The answer in two pieces: a response is everything until the target goes quiet.
        socket.write(line.replace('PING', 'PONG'));
        setTimeout(() => (options.closeAfterAnswer ? socket.end('\n') : socket.write('\n')), 5);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, lines, connections: () => sockets.size };
}

const ping = (n: number) => message(n, { body: `PING ${n}\n` });

test('payloads are sent as they are, whatever the protocol; only requests are sent', T, async (t) => {
  const server = await lineServer(t);
  const { instance, ctx } = await create<OutputInstance>(t, outputBinary, server.address, { workers: 2 });
  assert.equal(instance.emitsMessages, false);
  await instance.write([...Array.from({ length: 20 }, (_, i) => ping(i)), message(50, { kind: 'response', body: 'PING 50\n' })]);
  await instance.flush!();
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual([...server.lines].sort(), Array.from({ length: 20 }, (_, i) => `PING ${i}`).sort());
  assert.equal(ctx.counters.get('skipped'), 1);
  assert.deepEqual(ctx.emitted, []);
});

test('track-response: what the target answers becomes a replayed response with the request id', T, async (t) => {
  const server = await lineServer(t);
  const { instance, ctx } = await create<OutputInstance>(t, outputBinary, server.address, {
    workers: 3,
    trackResponse: true,
    responseIdle: '50ms',
  });
  assert.equal(instance.emitsMessages, true);
  const sent = Array.from({ length: 12 }, (_, i) => ping(i));
  await instance.write(sent);
  await instance.flush!();
  assert.equal(ctx.emitted.length, 12);
  for (const response of ctx.emitted) {
    assert.equal(response.kind, 'replayed-response');
    const n = parseInt(response.id.slice(16), 16);
    assert.equal(Buffer.from(response.payload).toString(), `PONG ${n}\n`);
    assert.ok(response.latency > 0n);
  }
  assert.deepEqual(ctx.emitted.map((m) => m.id).sort(), sent.map((m) => m.id).sort());
  assert.equal(server.connections(), 3, 'workers keep their connections');
});

test('a target that answers and closes ends the response at once, and the next request reconnects', T, async (t) => {
  const server = await lineServer(t, { closeAfterAnswer: true });
  const { instance, ctx } = await create<OutputInstance>(t, outputBinary, server.address, {
    workers: 1,
    trackResponse: true,
    responseIdle: '10s',
  });
  await instance.write([ping(1), ping(2)]);
  await instance.flush!();
  assert.deepEqual(
    ctx.emitted.map((m) => Buffer.from(m.payload).toString()),
    ['PONG 1\n', 'PONG 2\n'],
  );
});

test('the response buffer keeps the first bytes of a long answer', T, async (t) => {
  const server = await lineServer(t);
  const { instance, ctx } = await create<OutputInstance>(t, outputBinary, server.address, {
    workers: 1,
    trackResponse: true,
    responseIdle: '50ms',
    responseBuffer: '4',
  });
  await instance.write([ping(12345)]);
  await instance.flush!();
  assert.equal(Buffer.from(ctx.emitted[0]!.payload).toString(), 'PONG');
});

test('a silent target times out and a dead one is refused: both counted, never thrown', T, async (t) => {
  const silent = await lineServer(t, { isSilent: true });
  const quiet = await create<OutputInstance>(t, outputBinary, silent.address, { workers: 1, trackResponse: true, timeout: '200ms' });
  await quiet.instance.write([ping(1), ping(2)]);
  await quiet.instance.flush!();
  assert.equal(quiet.ctx.counters.get('timeout'), 2);
  assert.equal(quiet.ctx.counters.get('failed'), 2);
  assert.deepEqual(quiet.ctx.emitted, []);
  assert.deepEqual(silent.lines, ['PING 1', 'PING 2']);

  const dead = await create<OutputInstance>(t, outputBinary, `127.0.0.1:${await freePort()}`, { workers: 1 });
  await dead.instance.write([ping(1)]);
  await dead.instance.flush!();
  assert.equal(dead.ctx.counters.get('refused'), 1);
  assert.equal(dead.ctx.counters.get('failed'), 1);
});

test('debug logs each payload and response, escaped', T, async (t) => {
  const server = await lineServer(t);
  const { instance, ctx } = await create<OutputInstance>(t, outputBinary, server.address, {
    workers: 1,
    trackResponse: true,
    debug: true,
    responseIdle: '50ms',
  });
  await instance.write([ping(7)]);
  await instance.flush!();
  assert.deepEqual(
    ctx.logs.filter((l) => l.level === 'info').map((l) => l.message.replace(/ [0-9a-f]{24} /, ' ID ')),
    ['send ID (7 bytes): PING 7\\n', 'received for ID (7 bytes): PONG 7\\n'],
  );
});
