import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createOutput, requestMessage, startRecordingServer } from './helpers.js';

const T = { timeout: 30_000 };

test('requests keep their input order around a POST; the requests after it are written only once it is answered', T, async (t) => {
  const events: string[] = [];
  const target = await startRecordingServer(t, (req, res) => {
    events.push(`seen ${req.method} ${req.url}`);
    // the POST is answered late: anything written after it meanwhile would be seen before its answer
    const delayMs = req.method === 'POST' ? 150 : 0;
    setTimeout(() => {
      events.push(`answered ${req.method} ${req.url}`);
      res.end('ok');
    }, delayMs);
  });
  const { output, ctx } = await createOutput(t, target.url);
  await output.write([
    requestMessage('GET /1 HTTP/1.1\r\n\r\n'),
    requestMessage('POST /2 HTTP/1.1\r\nContent-Length: 1\r\n\r\nx'),
    requestMessage('PUT /3 HTTP/1.1\r\nContent-Length: 1\r\n\r\ny'),
    requestMessage('DELETE /4 HTTP/1.1\r\n\r\n'),
    requestMessage('GET /5 HTTP/1.1\r\n\r\n'),
  ]);
  await output.flush!();
  assert.deepEqual(ctx.counters, {});
  assert.deepEqual(
    target.seen.map((s) => `${s.method} ${s.url}`),
    ['GET /1', 'POST /2', 'PUT /3', 'DELETE /4', 'GET /5'],
  );
  assert.ok(events.indexOf('answered POST /2') < events.indexOf('seen PUT /3'), events.join(', '));
  assert.ok(events.indexOf('answered GET /1') < events.indexOf('seen POST /2'), events.join(', '));
});

test("an idle connection is closed before the server's Keep-Alive timeout says the server will close it", T, async (t) => {
  // Node sends `Keep-Alive: timeout=3` and destroys the socket after 3 s idle; the sender closes at 2 s (4 s otherwise)
  const target = await startRecordingServer(t);
  target.server.keepAliveTimeout = 3000;
  let closedBy = '';
  target.server.on('connection', (socket) => {
    socket.on('end', () => {
      closedBy ||= 'client';
    });
    socket.on('close', () => {
      closedBy ||= 'server';
    });
  });
  const { output } = await createOutput(t, target.url);
  await output.write([requestMessage('GET /1 HTTP/1.1\r\n\r\n')]);
  await output.flush!();
  while (closedBy === '') await new Promise((r) => setTimeout(r, 50));
  assert.equal(closedBy, 'client');
});
