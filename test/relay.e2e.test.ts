/**
 * TCP relays and binary replay, end to end with the built CLI on loopback: a reprise sender
 * (--output-tcp) feeding a reprise aggregator (--input-tcp), plain and TLS, with the aggregator
 * dead for a while (plain) or killed and restarted (TLS); bytes a real gor sent; sticky sessions;
 * --output-binary against a line protocol server.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { encodeRecords, type Message } from '@reprise/core';
import { goreplayFixtures, runCli, startCli, tempDir, waitFor, type RunningCli } from './support/cli.js';
import { rawRecords, readRecords, summaryCounters, writeGor } from './support/gor.js';
import { selfSignedCertificate } from './support/tls-cert.js';

const T = { timeout: 90_000 };
const responsesFixture = join(goreplayFixtures, 'goreplay-with-responses.gor');
const requestsFixture = join(goreplayFixtures, 'goreplay-requests.gor');

/** Starts an aggregator (`--input-tcp 127.0.0.1:PORT`, port 0 by default) and waits until it listens. */
async function startAggregator(t: TestContext, args: string[], port = 0): Promise<{ cli: RunningCli; port: number }> {
  const cli = startCli(['--input-tcp', `127.0.0.1:${port}`, '--verbose', ...args], { timeoutMs: 80_000 });
  t.after(() => void cli.child.kill('SIGKILL'));
  await waitFor(
    () => /listening on 127\.0\.0\.1:\d+/.test(cli.stderr()) || cli.child.exitCode !== null,
    20_000,
    'the aggregator to listen',
  );
  const m = /listening on 127\.0\.0\.1:(\d+)/.exec(cli.stderr());
  assert.ok(m, cli.stderr());
  return { cli, port: Number(m[1]) };
}

/** Waits until the aggregator has seen `count` connections close (it has read all they sent), then stops it. */
async function stopAfterClosed(aggregator: RunningCli, count: number) {
  await waitFor(() => (aggregator.stderr().match(/127\.0\.0\.1:\d+ closed/g) ?? []).length >= count, 20_000, 'the senders to hang up');
  aggregator.child.kill('SIGINT');
  return aggregator.done;
}

const sortedRecords = (path: string) => rawRecords(path).sort();

/** The fixture as reprise writes it without a relay (input-file replays in timestamp order). */
async function writtenDirectly(dir: string, fixture: string): Promise<Buffer> {
  const direct = join(dir, 'direct.gor');
  const result = await runCli(['--input-file', fixture, '--input-file-no-wait', '--output-file', direct]);
  assert.equal(result.code, 0, result.stderr);
  return readFileSync(direct);
}

test('a recording relayed reprise → reprise over one connection arrives byte-identical', T, async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'relayed.gor');
  const aggregator = await startAggregator(t, ['--output-file', out]);
  const sender = await runCli([
    '--input-file',
    responsesFixture,
    '--input-file-no-wait',
    '--output-tcp',
    `127.0.0.1:${aggregator.port}`,
    '--output-tcp-workers',
    '1',
  ]);
  assert.equal(sender.code, 0, sender.stderr);
  const result = await stopAfterClosed(aggregator.cli, 1);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(readFileSync(out), await writtenDirectly(dir, responsesFixture));
  assert.deepEqual(sortedRecords(out), sortedRecords(responsesFixture));
  assert.equal(summaryCounters(result.stderr, 'input-tcp').in, 10);
});

test('relayed over several connections, every record arrives intact (requests and original responses)', T, async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'relayed.gor');
  const aggregator = await startAggregator(t, ['--output-file', out]);
  const sender = await runCli([
    '--input-file',
    requestsFixture,
    '--input-file-no-wait',
    '--output-tcp',
    `127.0.0.1:${aggregator.port}`,
    '--output-tcp-workers',
    '4',
  ]);
  assert.equal(sender.code, 0, sender.stderr);
  await stopAfterClosed(aggregator.cli, 4);
  assert.deepEqual(sortedRecords(out), sortedRecords(requestsFixture));
});

test("what gor 1.3.2's --output-tcp sent (recorded bytes) arrives at reprise --input-tcp byte-identical", T, async (t) => {
  // CI has no gor: the fixtures are the bytes a real gor wrote on its connection (see fixtures/goreplay/README.md).
  const dir = tempDir(t);
  const out = join(dir, 'from-gor.gor');
  const aggregator = await startAggregator(t, ['--output-file', out]);
  const sent = ['gor-output-tcp-requests.bin', 'gor-output-tcp-with-responses.bin'].map((f) => readFileSync(join(goreplayFixtures, f)));
  // Two senders at once, as two gor agents; one writes in small pieces, so records cross reads.
  const [whole, pieces] = await Promise.all([connectTo(aggregator.port), connectTo(aggregator.port)]);
  whole.end(sent[0]);
  for (let at = 0; at < sent[1]!.length; at += 97) pieces.write(sent[1]!.subarray(at, at + 97));
  pieces.end();
  const result = await stopAfterClosed(aggregator.cli, 2);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(sortedRecords(out), [...rawRecords(requestsFixture), ...rawRecords(responsesFixture)].sort());
  assert.equal(summaryCounters(result.stderr, 'input-tcp').in, 17);
});

test('TLS relay: a self-signed aggregator with skip-verify, and verified against a trusted CA', T, async (t) => {
  const dir = tempDir(t);
  const { cert, key } = selfSignedCertificate(dir);
  const tlsArgs = ['--input-tcp-secure', '--input-tcp-certificate', cert, '--input-tcp-certificate-key', key];
  for (const variant of ['skip-verify', 'trusted-ca', 'untrusted'] as const) {
    const out = join(dir, `${variant}.gor`);
    const aggregator = await startAggregator(t, [...tlsArgs, '--output-file', out]);
    assert.match(aggregator.cli.stderr(), /\(TLS\)/);
    const sender = await runCli(
      [
        '--input-file',
        responsesFixture,
        '--input-file-no-wait',
        '--output-tcp',
        `127.0.0.1:${aggregator.port}`,
        '--output-tcp-secure',
        '--output-tcp-workers',
        '1',
        ...(variant === 'skip-verify' ? ['--output-tcp-skip-verify'] : []),
      ],
      { env: variant === 'trusted-ca' ? { NODE_EXTRA_CA_CERTS: cert } : {} },
    );
    assert.equal(sender.code, 0, sender.stderr);
    if (variant === 'untrusted') {
      // The certificate is refused: nothing is sent, and what could not be sent is counted.
      assert.match(sender.stderr, /self[- ]signed certificate/);
      assert.equal(summaryCounters(sender.stderr, 'output-tcp').unsent, 10);
      aggregator.cli.child.kill('SIGINT');
      const result = await aggregator.cli.done;
      assert.ok(summaryCounters(result.stderr, 'input-tcp')['tls-failed']! >= 1);
      continue;
    }
    await stopAfterClosed(aggregator.cli, 1);
    assert.deepEqual(readFileSync(out), await writtenDirectly(dir, responsesFixture), variant);
  }
});

function requestRecords(from: number, count: number, session = 'c0ffee0000001f90'): Message[] {
  return Array.from({ length: count }, (_, i) => ({
    kind: 'request' as const,
    id: `${session}${(from + i).toString(16).padStart(8, '0')}`,
    timestamp: 1_795_574_173_000_000_000n + BigInt(from + i),
    latency: 0n,
    payload: Buffer.from(`GET /item/${from + i} HTTP/1.1\r\nHost: relay.example\r\n\r\n`),
  }));
}

async function connectTo(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

test('a dead aggregator is counted, not fatal: memory stays bounded, and sending resumes when it comes back', T, async (t) => {
  const dir = tempDir(t);
  const deadPort = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  // The forwarder: a live input (input-tcp) relaying to an aggregator that is not there yet.
  const forwarder = await startAggregator(t, [
    '--output-tcp',
    `127.0.0.1:${deadPort}`,
    '--output-tcp-workers',
    '1',
    '--output-tcp-buffer-size',
    '16kb',
    '--output-queue-size',
    '100',
    '--output-tcp-stats',
  ]);
  const feed = await connectTo(forwarder.port);
  t.after(() => feed.destroy());
  feed.write(encodeRecords(requestRecords(0, 3000)));
  await waitFor(() => /cannot connect \(.*ECONNREFUSED/.test(forwarder.cli.stderr()), 20_000, 'a failed connection attempt');
  // --output-tcp-stats reports every 5 s: the buffer stays within its 16 kb (one record may overshoot it).
  await waitFor(() => /connections 0\/1 open, buffered \d+ bytes/.test(forwarder.cli.stderr()), 20_000, 'a stats line');
  const buffered = Number(/connections 0\/1 open, buffered (\d+) bytes \(at most 16384 per connection\)/.exec(forwarder.cli.stderr())?.[1]);
  assert.ok(buffered > 0 && buffered <= 16_384 + 200, `${buffered} bytes buffered`);
  assert.equal(forwarder.cli.child.exitCode, null, 'the forwarder keeps running');

  const out = join(dir, 'aggregated.gor');
  const aggregator = await startAggregator(t, ['--output-file', out], deadPort);
  await waitFor(() => /connected after \d+ failed attempts?/.test(forwarder.cli.stderr()), 20_000, 'the forwarder to reconnect');
  feed.write(encodeRecords(requestRecords(10_000, 5)));
  feed.end();
  await waitFor(() => /127\.0\.0\.1:\d+ closed/.test(forwarder.cli.stderr()), 20_000, 'the feed to be read');
  await new Promise((r) => setTimeout(r, 500));
  forwarder.cli.child.kill('SIGINT');
  const forwarded = await forwarder.cli.done;
  assert.equal(forwarded.code, 0, forwarded.stderr);
  await stopAfterClosed(aggregator.cli, 1);

  const counters = summaryCounters(forwarded.stderr, 'output-tcp');
  const received = readRecords(out).map((r) => r.id);
  const early = received.filter((id) => parseInt(id.slice(16), 16) < 10_000).length;
  // While the aggregator was down, the forwarder held at most its queue (100 messages, overshot by at
  // most one 256-message batch), the batch being written and 16 kb of records; the rest was dropped and counted.
  assert.ok(early <= 100 + 2 * 256 + 16_384 / 60, `${early} records held while the aggregator was down`);
  assert.equal(counters.in, 3005, JSON.stringify(counters));
  assert.equal(counters.out! + counters.dropped!, 3005, JSON.stringify(counters));
  assert.ok(counters.dropped! >= 3000 - early - 256, JSON.stringify(counters));
  assert.ok(counters['connect-failed']! >= 1 && counters.reconnects === 1, JSON.stringify(counters));
  // Everything the output accepted reached the aggregator once it was back.
  assert.equal(received.length, counters.out, JSON.stringify(counters));
  assert.deepEqual(
    received.slice(-5),
    requestRecords(10_000, 5).map((m) => m.id),
    'messages sent after the reconnection arrive',
  );
});

test('over TLS, an aggregator that is killed and restarted gets the records sent after it comes back', T, async (t) => {
  const dir = tempDir(t);
  const { cert, key } = selfSignedCertificate(dir);
  const tlsArgs = ['--input-tcp-secure', '--input-tcp-certificate', cert, '--input-tcp-certificate-key', key];
  const first = await startAggregator(t, [...tlsArgs, '--output-null']);
  const forwarder = await startAggregator(t, [
    '--output-tcp',
    `127.0.0.1:${first.port}`,
    '--output-tcp-secure',
    '--output-tcp-skip-verify',
    '--output-tcp-workers',
    '1',
  ]);
  const feed = await connectTo(forwarder.port);
  t.after(() => feed.destroy());
  feed.write(encodeRecords(requestRecords(0, 5)));
  await waitFor(() => /connection from 127\.0\.0\.1/.test(first.cli.stderr()), 20_000, 'the TLS connection');
  first.cli.child.kill('SIGKILL');
  await first.cli.done;
  await waitFor(() => /connection lost/.test(forwarder.cli.stderr()), 20_000, 'the forwarder to see the aggregator die');
  feed.write(encodeRecords(requestRecords(100, 5)));
  await waitFor(() => /cannot connect/.test(forwarder.cli.stderr()), 20_000, 'a failed reconnection');

  const out = join(dir, 'after-restart.gor');
  const second = await startAggregator(t, [...tlsArgs, '--output-file', out], first.port);
  await waitFor(() => /connected after \d+ failed attempts?/.test(forwarder.cli.stderr()), 20_000, 'the forwarder to reconnect');
  feed.end(encodeRecords(requestRecords(200, 5)));
  await waitFor(() => /127\.0\.0\.1:\d+ closed/.test(forwarder.cli.stderr()), 20_000, 'the feed to be read');
  forwarder.cli.child.kill('SIGINT');
  const forwarded = await forwarder.cli.done;
  assert.equal(forwarded.code, 0, forwarded.stderr);
  const result = await stopAfterClosed(second.cli, 1);
  assert.match(result.stderr, /\(TLS\)/);
  // What waited while the aggregator was down, then what was sent after it came back, on a new TLS connection.
  assert.deepEqual(
    readRecords(out).map((r) => r.id),
    [...requestRecords(100, 5), ...requestRecords(200, 5)].map((m) => m.id),
  );
  const counters = summaryCounters(forwarded.stderr, 'output-tcp');
  assert.ok(counters['connect-failed']! >= 1 && counters.reconnects! >= 1, JSON.stringify(counters));
});

test('sticky sessions: each session travels on one connection, in order', T, async (t) => {
  const dir = tempDir(t);
  const connections: Buffer[][] = [];
  const server = createServer((socket) => {
    const chunks: Buffer[] = [];
    connections.push(chunks);
    socket.on('data', (c) => chunks.push(c));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const sessions = Array.from({ length: 8 }, (_, s) => `5e55${s.toString(16).padStart(12, '0')}`);
  const messages: Message[] = [];
  for (let n = 0; n < 6; n++) for (const session of sessions) messages.push(...requestRecords(n, 1, session));
  const input = join(dir, 'sessions.gor');
  writeGor(input, messages);
  const port = (server.address() as AddressInfo).port;
  const sender = await runCli([
    '--input-file',
    input,
    '--input-file-no-wait',
    '--output-tcp',
    `127.0.0.1:${port}`,
    '--output-tcp-workers',
    '4',
    '--output-tcp-sticky',
  ]);
  assert.equal(sender.code, 0, sender.stderr);
  await waitFor(
    () => connections.reduce((n, c) => n + (Buffer.concat(c).toString('latin1').match(/^1 /gm) ?? []).length, 0) === 48,
    10_000,
    'every record',
  );
  const idsPerConnection = connections.map((c) =>
    [
      ...Buffer.concat(c)
        .toString('latin1')
        .matchAll(/^1 ([0-9a-f]{24}) /gm),
    ].map((m) => m[1]!),
  );
  for (const session of sessions) {
    const holders = idsPerConnection.filter((ids) => ids.some((id) => id.startsWith(session)));
    assert.equal(holders.length, 1, `session ${session}`);
    assert.deepEqual(
      holders[0]!.filter((id) => id.startsWith(session)),
      messages.filter((m) => m.id.startsWith(session)).map((m) => m.id),
    );
  }
  assert.ok(idsPerConnection.filter((ids) => ids.length > 0).length > 1, 'sessions are spread over connections');
});

test('output-binary replays a line protocol and records what the target answers as replayed responses', T, async (t) => {
  const dir = tempDir(t);
  const lines: string[] = [];
  const server = createServer((socket) => {
    let pending = '';
    socket.setEncoding('utf8').on('data', (text: string) => {
      pending += text;
      for (let i = pending.indexOf('\n'); i >= 0; i = pending.indexOf('\n')) {
        const line = pending.slice(0, i);
        pending = pending.slice(i + 1);
        lines.push(line);
        socket.write(`${line.replace('PING', 'PONG')}\n`);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  );
  const input = join(dir, 'pings.gor');
  const pings = requestRecords(0, 20).map((m, i) => ({ ...m, payload: Buffer.from(`PING ${i}\n`) }));
  writeGor(input, pings);
  const out = join(dir, 'out.gor');
  const port = (server.address() as AddressInfo).port;
  const result = await runCli([
    '--input-file',
    input,
    '--input-file-no-wait',
    '--output-binary',
    `127.0.0.1:${port}`,
    '--output-binary-workers',
    '2',
    '--output-binary-track-response',
    '--output-binary-response-idle',
    '50ms',
    '--output-file',
    out,
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual([...lines].sort(), pings.map((_, i) => `PING ${i}`).sort());
  const records = readRecords(out);
  const replayed = records.filter((r) => r.type === '3');
  assert.equal(replayed.length, 20);
  for (const r of replayed) assert.equal(r.payload, `PONG ${parseInt(r.id.slice(16), 16)}\n`);
  assert.equal(records.filter((r) => r.type === '1').length, 20);
});

test('an address already taken exits 4 naming input-tcp; TLS files without --input-tcp-secure exit 2', T, async (t) => {
  const first = await startAggregator(t, ['--output-null']);
  const taken = await runCli(['--input-tcp', `127.0.0.1:${first.port}`, '--output-null']);
  assert.equal(taken.code, 4, taken.stderr);
  assert.match(taken.stderr, /input-tcp.*cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
  const insecure = await runCli(['--input-tcp', '127.0.0.1:0', '--input-tcp-certificate', 'cert.pem', '--output-null']);
  assert.equal(insecure.code, 2, insecure.stderr);
  assert.match(insecure.stderr, /input-tcp \(option secure\).*add --input-tcp-secure/);
  first.cli.child.kill('SIGINT');
  await first.cli.done;
});
