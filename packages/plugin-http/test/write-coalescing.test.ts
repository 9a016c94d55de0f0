import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { coalesceWrites } from '../src/write-coalescing.js';

/** A loopback server that collects what each connection sends, and a connected, coalescing client. */
async function coalescedPair(t: { after(fn: () => unknown): void }): Promise<{ socket: Socket; chunks: Buffer[]; ended: Promise<void> }> {
  const chunks: Buffer[] = [];
  let markEnded!: () => void;
  const ended = new Promise<void>((resolve) => (markEnded = resolve));
  const server = createServer((s) => {
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => markEnded());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket: Socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  t.after(
    () =>
      new Promise<void>((resolve) => {
        socket.destroy();
        server.close(() => resolve());
      }),
  );
  await new Promise((resolve) => socket.once('connect', resolve));
  return { socket: coalesceWrites(socket), chunks, ended };
}

test('writes made in one tick are held corked and sent together on the next tick', { timeout: 10_000 }, async (t) => {
  const { socket, chunks, ended } = await coalescedPair(t);
  socket.write('GET /1 HTTP/1.1\r\n\r\n');
  assert.equal(socket.writableCorked, 1, 'the first write of a tick corks the socket');
  socket.write('GET /2 HTTP/1.1\r\n\r\n', 'latin1');
  socket.write(Buffer.from('GET /3 HTTP/1.1\r\n\r\n'));
  assert.equal(socket.writableCorked, 1, 'later writes in the same tick do not cork again');
  await new Promise((resolve) => process.nextTick(resolve));
  assert.equal(socket.writableCorked, 0, 'the next tick uncorks');
  await new Promise((resolve) => setTimeout(resolve, 50));
  socket.end();
  await ended;

  const expected = 'GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\n\r\n';
  assert.equal(Buffer.concat(chunks).toString(), expected);
  assert.equal(chunks[0]?.toString(), expected, 'the three requests left in one write');
});

test('latin1 heads of one tick are joined, keep their bytes, and go before a later buffer', { timeout: 10_000 }, async (t) => {
  const { socket, chunks, ended } = await coalescedPair(t);
  socket.write('GET /caf\u00e9 HTTP/1.1\r\n\r\n', 'latin1');
  socket.write('GET /2 HTTP/1.1\r\nContent-Length: 4\r\n\r\n', 'latin1');
  socket.write(Buffer.from('body'));
  let calledBack = false;
  socket.write('GET /3 HTTP/1.1\r\n\r\n', 'latin1', () => (calledBack = true));
  socket.end();
  await ended;
  const received = Buffer.concat(chunks);
  assert.deepEqual(
    received,
    Buffer.from('GET /caf\u00e9 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\nContent-Length: 4\r\n\r\nbodyGET /3 HTTP/1.1\r\n\r\n', 'latin1'),
    'in order, é as the single byte 0xe9',
  );
  assert.equal(calledBack, true, 'a write with a callback is passed through and called back');
});

test('heads still held when the socket is ended are sent before the end', { timeout: 10_000 }, async (t) => {
  const { socket, chunks, ended } = await coalescedPair(t);
  socket.write('GET /1 HTTP/1.1\r\n\r\n', 'latin1');
  socket.write('GET /2 HTTP/1.1\r\n\r\n', 'latin1');
  socket.end();
  await ended;
  assert.equal(Buffer.concat(chunks).toString('latin1'), 'GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n');
});
