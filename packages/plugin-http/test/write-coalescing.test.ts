import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { coalesceWrites } from '../src/write-coalescing.js';

test('writes made in one tick are held corked and sent together on the next tick', { timeout: 10_000 }, async (t) => {
  let received = '';
  let firstChunk: string | undefined;
  const server = createServer((s) => s.on('data', (d: Buffer) => {
    firstChunk ??= d.toString();
    received += d.toString();
  }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket: Socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  t.after(() => new Promise<void>((resolve) => {
    socket.destroy();
    server.close(() => resolve());
  }));
  await new Promise((resolve) => socket.once('connect', resolve));
  coalesceWrites(socket);

  socket.write('GET /1 HTTP/1.1\r\n\r\n');
  assert.equal(socket.writableCorked, 1, 'the first write of a tick corks the socket');
  socket.write('GET /2 HTTP/1.1\r\n\r\n', 'latin1');
  socket.write(Buffer.from('GET /3 HTTP/1.1\r\n\r\n'));
  assert.equal(socket.writableCorked, 1, 'later writes in the same tick do not cork again');
  await new Promise((resolve) => process.nextTick(resolve));
  assert.equal(socket.writableCorked, 0, 'the next tick uncorks');

  const expected = 'GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\n\r\n';
  while (received.length < expected.length) await new Promise((r) => setTimeout(r, 5));
  assert.equal(received, expected);
  assert.equal(firstChunk, expected, 'the three requests left in one write');
});
