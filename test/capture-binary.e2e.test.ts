// --input-raw-protocol binary through the CLI: a line protocol (not HTTP) captured live on lo.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { connectionIdOf } from '@reprise/core';
import { runWhileSending, tempDir, waitFor } from './support/cli.js';
import { readRecords } from './support/gor.js';

/** A tiny key-value server: "SET k v" → "+OK", "GET k" → "$v" (or "$-1"), one reply per line. */
async function lineServer(t: TestContext): Promise<number> {
  const values = new Map<string, string>();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let pending = '';
    socket.setEncoding('latin1').on('data', (d: string) => {
      pending += d;
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        const [command, key, value] = pending.slice(0, end).trim().split(' ');
        pending = pending.slice(end + 1);
        if (command === 'SET') values.set(key!, value!);
        socket.write(command === 'SET' ? '+OK\r\n' : `$${values.get(key!) ?? '-1'}\r\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

/** One client connection: each line sent after the previous reply, then closed. */
async function session(port: number, lines: string[]): Promise<number> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise((r) => socket.once('connect', r));
  const localPort = socket.localPort!;
  let replies = 0;
  socket.on('data', (d: Buffer) => (replies += d.toString('latin1').split('\r\n').length - 1));
  for (let i = 0; i < lines.length; i++) {
    socket.write(lines[i]!);
    await waitFor(() => replies > i, 10_000, `reply ${i + 1}`);
  }
  socket.end();
  await new Promise((r) => socket.once('close', r));
  return localPort;
}

test('binary protocol: each command a request, each reply a response with the same id, per connection', { timeout: 60_000 }, async (t) => {
  const port = await lineServer(t);
  const file = join(tempDir(t), 'binary.gor');
  const sessions: Array<{ lines: string[]; localPort?: number }> = [
    { lines: ['SET colour blue\n', 'GET colour\n', 'GET missing\n'] },
    { lines: ['SET size 9000\n', 'GET size\n'] },
  ];
  const run = await runWhileSending(
    ['--input-raw', `:${port}`, '--input-raw-protocol', 'binary', '--input-raw-track-response', '--output-file', file],
    async () => {
      // Two connections at once, their commands interleaved on the wire.
      await Promise.all(sessions.map(async (s) => (s.localPort = await session(port, s.lines))));
    },
  );
  assert.equal(run.code, 0, run.stderr);
  const records = readRecords(file);
  for (const s of sessions) {
    const connection = connectionIdOf(s.localPort!, port, '127.0.0.1');
    const mine = records.filter((r) => r.id.startsWith(connection));
    const requests = mine.filter((r) => r.type === '1');
    const responses = mine.filter((r) => r.type === '2');
    assert.deepEqual(
      requests.map((r) => r.payload),
      s.lines,
      `requests of the connection from port ${s.localPort}`,
    );
    const expected = s.lines.map((line) => (line.startsWith('SET') ? '+OK\r\n' : line.includes('missing') ? '$-1\r\n' : null));
    for (const [i, request] of requests.entries()) {
      const response = responses.find((r) => r.id === request.id);
      assert.ok(response, `"${request.payload.trim()}" has its reply`);
      if (expected[i]) assert.equal(response.payload, expected[i]);
      else assert.match(response.payload, /^\$(blue|9000)\r\n$/);
    }
    assert.equal(responses.length, requests.length);
  }
  assert.equal(records.length, 10);
  assert.doesNotMatch(run.stderr, /non-http|unpaired=[1-9]/);
});
