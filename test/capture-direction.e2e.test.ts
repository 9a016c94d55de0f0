// pcap files written by tcpdump in the test, read through the CLI: the client port below and above
// the server's, with and without a port in the value, with and without the SYNs (a capture that
// started mid-connection). Every exchange must come out paired, under its connection's id.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { connectionIdOf } from '@reprise/core';
import { recordingServer, runCli, runWhileSending, tempDir, waitFor } from './support/cli.js';
import { readRecords } from './support/gor.js';
import { tcpdumpWhile } from './support/tcpdump.js';

const LOW_PORTS = { from: 1025, to: 2000 };

function randomLowPort(): number {
  return LOW_PORTS.from + Math.floor(Math.random() * (LOW_PORTS.to - LOW_PORTS.from));
}

/** Listens on a free port in 1025–2000 (the server below its clients). */
async function listenLow(server: Server): Promise<number> {
  for (;;) {
    const port = randomLowPort();
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) return port;
  }
}

/** A connection from a chosen local port in 1025–2000 (the client below its server). */
async function connectFromLowPort(serverPort: number): Promise<Socket> {
  for (;;) {
    const socket = await new Promise<Socket | undefined>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: serverPort, localAddress: '127.0.0.1', localPort: randomLowPort() });
      s.once('connect', () => resolve(s));
      s.once('error', () => resolve(undefined));
    });
    if (socket) return socket;
  }
}

/** Sends raw requests one after another on one keep-alive socket, each after the previous answer. */
async function exchange(socket: Socket, requests: string[]): Promise<void> {
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (received += d));
  for (let i = 0; i < requests.length; i++) {
    socket.write(requests[i]!);
    await waitFor(() => (received.match(/ok:\d+/g) ?? []).length > i, 10_000, `response ${i + 1}`);
  }
  socket.end();
}

const REQUESTS = [
  'GET /first HTTP/1.1\r\nHost: x\r\n\r\n',
  'POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{"a":[1,2,3]}',
  'PUT /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
  'GET /last HTTP/1.1\r\nHost: x\r\n\r\n',
];
/** The server answers with the length of the body it read (de-chunked). */
const RESPONSE_BODIES = ['ok:0', 'ok:13', 'ok:11', 'ok:0'];

async function recordCase(t: TestContext, clientIsLow: boolean): Promise<{ file: string; clientPort: number; serverPort: number }> {
  const dir = tempDir(t);
  const file = join(dir, 'capture.pcap');
  let serverPort: number;
  if (clientIsLow) {
    serverPort = (await recordingServer(t, (_req, body) => ({ body: `ok:${body.length}` }))).port; // ephemeral: high
  } else {
    const server = createServer();
    serverPort = await listenLow(server);
    server.close();
    // The recording server, on the low port now free again.
    const recording = await recordingServer(t, (_req, body) => ({ body: `ok:${body.length}` }));
    recording.server.close();
    await new Promise<void>((resolve, reject) => {
      recording.server.once('error', reject);
      recording.server.listen(serverPort, '127.0.0.1', resolve);
    });
  }
  let clientPort = 0;
  await tcpdumpWhile(file, serverPort, async () => {
    const socket = clientIsLow ? await connectFromLowPort(serverPort) : connect({ host: '127.0.0.1', port: serverPort });
    if (!clientIsLow) await new Promise((r) => socket.once('connect', r));
    clientPort = socket.localPort!;
    await exchange(socket, REQUESTS);
  });
  if (clientIsLow) assert.ok(clientPort < serverPort, `client ${clientPort} below server ${serverPort}`);
  else assert.ok(clientPort > serverPort, `client ${clientPort} above server ${serverPort}`);
  return { file, clientPort, serverPort };
}

function withoutSyns(file: string): string {
  const out = file.replace(/\.pcap$/, '-no-syn.pcap');
  const r = spawnSync('tcpdump', ['-r', file, '-w', out, 'tcp[tcpflags] & tcp-syn == 0'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return out;
}

for (const clientIsLow of [true, false]) {
  test(`client port ${clientIsLow ? 'below' : 'above'} the server's: every exchange is paired, with or without port and SYNs`, {
    timeout: 120_000,
  }, async (t) => {
    const { file, clientPort, serverPort } = await recordCase(t, clientIsLow);
    const connection = connectionIdOf(clientPort, serverPort, '127.0.0.1');
    const noSyn = withoutSyns(file);
    for (const [pcap, what] of [
      [file, 'with SYNs'],
      [noSyn, 'without SYNs'],
    ] as const) {
      for (const value of [pcap, `${pcap}:${serverPort}`]) {
        const out = join(tempDir(t), 'out.gor');
        const run = await runCli(['--input-raw', value, '--input-raw-track-response', '--output-file', out], { timeoutMs: 30_000 });
        const label = `${what}, --input-raw ${value.endsWith(`:${serverPort}`) ? 'FILE:PORT' : 'FILE'}`;
        assert.equal(run.code, 0, `${label}: ${run.stderr}`);
        const records = readRecords(out);
        const requests = records.filter((r) => r.type === '1');
        const responses = records.filter((r) => r.type === '2');
        assert.deepEqual(
          requests.map((r) => r.payload),
          REQUESTS,
          label,
        );
        assert.equal(responses.length, REQUESTS.length, label);
        for (const [i, request] of requests.entries()) {
          assert.equal(request.id.slice(0, 16), connection, `${label}: the id starts with the connection`);
          const response = responses.find((r) => r.id === request.id);
          assert.ok(response, `${label}: request ${i + 1} has its response`);
          assert.ok(response.payload.endsWith(RESPONSE_BODIES[i]!), `${label}: response ${i + 1} is its own`);
        }
        assert.equal(new Set(requests.map((r) => r.id)).size, REQUESTS.length);
        assert.doesNotMatch(run.stderr, /non-http=[1-9]|unpaired=[1-9]/, label);
      }
    }
  });
}

test('a keep-alive connection opened before the capture, caught mid-request, is captured from its next request', {
  timeout: 60_000,
}, async (t) => {
  const server = await recordingServer(t, (_req, body) => ({ body: `ok:${body.length}` }));
  const socket = connect({ host: '127.0.0.1', port: server.port });
  t.after(() => socket.destroy());
  await new Promise((r) => socket.once('connect', r));
  // Half of a request body goes out before the capture starts; the rest after.
  socket.write('POST /before HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n0123456789');
  const file = join(tempDir(t), 'joined.gor');
  const run = await runWhileSending(['--input-raw', `:${server.port}`, '--input-raw-track-response', '--output-file', file], async () => {
    let received = '';
    socket.setEncoding('latin1').on('data', (d: string) => (received += d));
    socket.write('abcdefghij');
    await waitFor(() => received.includes('ok:20'), 10_000, 'the first response');
    socket.write('GET /after HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => received.includes('ok:0'), 10_000, 'the second response');
  });
  assert.equal(run.code, 0, run.stderr);
  const records = readRecords(file);
  assert.deepEqual(
    records.map((r) => [r.type, r.payload.split('\r\n')[0]]),
    [
      ['1', 'GET /after HTTP/1.1'],
      ['2', 'HTTP/1.1 200 OK'],
    ],
  );
  assert.equal(records[0]!.id, records[1]!.id);
  assert.equal(records[0]!.id.slice(0, 16), connectionIdOf(socket.localPort!, server.port, '127.0.0.1'));
  assert.doesNotMatch(run.stderr, /non-http=/);
});
