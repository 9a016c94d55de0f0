// End to end through the CLI: GoReplay's quick start with live capture on lo (needs root, as CI).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, Agent } from 'node:http';
import { join } from 'node:path';
import { recordingServer, repoRoot, runWhileSending as runCli, tempDir } from './support/cli.js';
import { readRecords as readGor } from './support/gor.js';

const fixture = join(repoRoot, 'packages/plugin-raw/test/fixtures/lo-ethernet.pcap');

/** A server that answers `ok:<body length>`, so responses can be matched to requests. */
const startServer = (t: TestContext) => recordingServer(t, (_req, body) => ({ body: `ok:${body.length}` }));

function send(port: number, agent: Agent, method: string, path: string, headers: Record<string, string>, body?: string) {
  return new Promise<void>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end(body);
  });
}

const traffic: Array<{ method: string; path: string; headers: Record<string, string>; body?: string }> = [
  { method: 'GET', path: '/search?q=reprise&page=2', headers: { 'x-request-id': 'abc-123', accept: 'application/json' } },
  { method: 'POST', path: '/orders', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ item: 'tea', qty: 2 }) },
  { method: 'PUT', path: '/files/report.txt', headers: { 'content-type': 'text/plain' }, body: 'r'.repeat(20_000) },
  { method: 'DELETE', path: '/orders/7', headers: { authorization: 'Bearer t0k3n' } },
];

async function sendTraffic(port: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  for (const r of traffic) await send(port, agent, r.method, r.path, r.headers, r.body);
  agent.destroy();
}

test('quick start: requests sent to A arrive at B with the same method, path, headers and body', { timeout: 60_000 }, async (t) => {
  const a = await startServer(t);
  const b = await startServer(t);
  const run = await runCli(['--input-raw', `:${a.port}`, '--output-http', `http://127.0.0.1:${b.port}`], async () => {
    await sendTraffic(a.port);
    const deadline = Date.now() + 10_000;
    while (b.received.length < traffic.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(a.received.length, traffic.length);
  assert.equal(b.received.length, traffic.length);
  for (let i = 0; i < traffic.length; i++) {
    const original = a.received[i]!;
    const replayed = b.received[i]!;
    assert.equal(replayed.method, original.method);
    assert.equal(replayed.url, original.url);
    assert.ok(replayed.body.equals(original.body), `body of ${original.url}`);
    for (const [name, value] of Object.entries(original.headers)) {
      if (name === 'host' || name === 'connection') continue;
      assert.equal(replayed.headers[name], value, `header ${name} of ${original.url}`);
    }
  }
});

test('captures to a .gor file, and replaying that file delivers the same requests', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  const a = await startServer(t);
  const b = await startServer(t);
  const file = join(dir, 'requests.gor');
  const capture = await runCli(['--input-raw', `:${a.port}`, '--output-file', file], () => sendTraffic(a.port));
  assert.equal(capture.code, 0, capture.stderr);
  const records = readGor(file);
  assert.deepEqual(
    records.map((r) => r.type),
    ['1', '1', '1', '1'],
  );
  assert.deepEqual(
    records.map((r) => r.payload.split('\r\n')[0]),
    traffic.map((r) => `${r.method} ${r.path} HTTP/1.1`),
  );
  for (const r of records) assert.match(r.id, /^[0-9a-f]{24}$/);

  const replay = await runCli(
    ['--input-file', file, '--output-http', `http://127.0.0.1:${b.port}`],
    async () => {},
    (e) => e.length > 0,
  );
  // The file input ends by itself; the SIGINT after it is harmless.
  assert.ok(replay.code === 0, replay.stderr);
  assert.deepEqual(
    b.received.map((r) => `${r.method} ${r.url}`),
    traffic.map((r) => `${r.method} ${r.path}`),
  );
  assert.ok(b.received[2]!.body.equals(Buffer.from(traffic[2]!.body!)));
});

test('with --input-raw-track-response each response is recorded with its request id and a latency', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  const a = await startServer(t);
  const file = join(dir, 'pairs.gor');
  const run = await runCli(['--input-raw', `:${a.port}`, '--input-raw-track-response', '--output-file', file], () => sendTraffic(a.port));
  assert.equal(run.code, 0, run.stderr);
  const records = readGor(file);
  const requests = records.filter((r) => r.type === '1');
  const responses = records.filter((r) => r.type === '2');
  assert.equal(requests.length, 4);
  assert.equal(responses.length, 4);
  for (const response of responses) {
    const request = requests.find((r) => r.id === response.id);
    assert.ok(request, `response ${response.id} pairs with a request`);
    assert.ok(response.timestamp >= request.timestamp);
    assert.ok(response.latency > 0n);
    const expectedLength = request.payload.split('\r\n\r\n')[1]!.length;
    assert.ok(response.payload.endsWith(`ok:${expectedLength}`));
  }
  assert.match(run.stderr, /responses=4/);
});

test('several --input-raw flags capture several ports at once', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  const a = await startServer(t);
  const b = await startServer(t);
  const file = join(dir, 'both.gor');
  let ready = 0;
  const run = await runCli(
    ['--input-raw', `:${a.port}`, '--input-raw', `127.0.0.1:${b.port}`, '--output-file', file],
    async () => {
      const agent = new Agent({ keepAlive: true });
      await send(a.port, agent, 'GET', '/on-a', {});
      await send(b.port, agent, 'GET', '/on-b', {});
      agent.destroy();
    },
    // both instances must be capturing before the traffic starts
    (text) => {
      ready = (text.match(/capturing on/g) ?? []).length;
      return ready >= 2;
    },
  );
  assert.equal(run.code, 0, run.stderr);
  assert.equal(ready, 2);
  const paths = readGor(file)
    .map((r) => r.payload.split('\r\n')[0])
    .sort();
  assert.deepEqual(paths, ['GET /on-a HTTP/1.1', 'GET /on-b HTTP/1.1']);
});

test('reads a tcpdump file without root and writes its requests to a .gor file', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'from-pcap.gor');
  const run = await runCli(
    ['--input-raw', fixture, '--output-file', file],
    async () => {},
    (e) => e.length > 0,
  );
  assert.equal(run.code, 0, run.stderr);
  const records = readGor(file);
  assert.equal(records.length, 12);
  assert.ok(records.every((r) => r.type === '1'));
  assert.match(run.stderr, /non-http=1/);
});
