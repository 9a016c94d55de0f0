/** --output-nats / --input-nats against a real nats-server: lossless round trip, large bodies, an outage under an agent. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { Message } from '@reprise/core';
import { runCli, startCli, tempDir, waitFor } from './support/cli.js';
import { readRecords, summaryCounters, writeGor } from './support/gor.js';
import { startNatsServer } from './support/nats-server.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** Requests and responses of interleaved keep-alive sessions, with chunked, gzipped and binary bodies. */
function trafficWithBodies(largeBodyBytes: number): Message[] {
  const start = 1_795_574_173_000_000_000n;
  const gzipped = gzipSync(Buffer.from('{"items":[1,2,3]}'));
  const binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) % 256));
  const large = Buffer.alloc(largeBodyBytes, 'x');
  const bodies: Uint8Array[] = [
    enc('GET /a HTTP/1.1\r\nHost: shop\r\n\r\n'),
    Buffer.concat([enc('HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ' + gzipped.length + '\r\n\r\n'), gzipped]),
    enc('POST /chunked HTTP/1.1\r\nHost: shop\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'),
    enc('HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'),
    Buffer.concat([enc(`PUT /binary HTTP/1.1\r\nHost: shop\r\nContent-Length: ${binary.length}\r\n\r\n`), binary]),
    enc('HTTP/1.1 204 No Content\r\n\r\n'),
    Buffer.concat([enc(`POST /large HTTP/1.1\r\nHost: shop\r\nContent-Length: ${large.length}\r\n\r\n`), large]),
    enc('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'),
  ];
  // two sessions (the first 16 hex digits), client ports below and above the server's, interleaved
  const sessions = ['1f90c3500100007f', 'e4a81f900100007f'];
  return bodies.map((payload, i) => {
    const pair = Math.floor(i / 2);
    const session = sessions[pair % 2]!;
    return {
      kind: i % 2 === 0 ? ('request' as const) : ('response' as const),
      id: session + (0x10000000 + pair).toString(16),
      timestamp: start + BigInt(pair) * 1_000_000n + BigInt(i % 2) * 300_000n,
      latency: i % 2 === 0 ? 0n : 250_000n + BigInt(pair),
      payload,
    };
  });
}

test('a .gor file published to a stream and read back is the same file byte for byte, a 3 MB body going through the object store', async (t) => {
  // a small max_payload keeps the object-store path cheap to exercise
  const nats = await startNatsServer(t, { maxPayloadBytes: 256 * 1024 });
  const dir = tempDir(t);
  const source = join(dir, 'in.gor');
  writeGor(source, trafficWithBodies(3 * 1024 * 1024));
  const published = await runCli([
    '--input-file',
    source,
    '--input-file-no-wait',
    '--output-nats',
    nats.url,
    '--output-nats-service',
    'shop',
    '--output-nats-on-full',
    'wait',
  ]);
  assert.equal(published.code, 0, published.stderr);
  const out = summaryCounters(published.stderr, 'output-nats');
  assert.equal(out.acked, 8);
  assert.equal(out['object-stored'], 1);

  const copy = join(dir, 'out.gor');
  const read = await runCli(['--input-nats', nats.url, '--input-nats-service', 'shop', '--output-file', copy]);
  assert.equal(read.code, 0, read.stderr);
  assert.ok(readFileSync(copy).equals(readFileSync(source)), 'the stream turned back into the same bytes');

  // publishing the same records again is deduplicated by Nats-Msg-Id
  const again = await runCli([
    '--input-file',
    source,
    '--input-file-no-wait',
    '--output-nats',
    nats.url,
    '--output-nats-service',
    'shop',
    '--output-nats-on-full',
    'wait',
  ]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(summaryCounters(again.stderr, 'output-nats').duplicates, 8);
  const status = JSON.parse(
    (await runCli(['cluster', 'status', '--nats', nats.url, '--service', 'shop', '--json', '--timeout', '30s'])).stdout,
  );
  assert.equal(status.stream.messages, 8);
  assert.equal(status.backlog, 8);
});

test('an agent keeps capturing while NATS is down: it drops and counts, then publishes again once NATS is back', async (t) => {
  const nats = await startNatsServer(t);
  const agent = startCli(
    [
      '--input-dummy',
      '0',
      '--input-dummy-interval',
      '5ms',
      '--output-nats',
      nats.url,
      '--output-nats-service',
      'web',
      '--output-nats-counters-interval',
      '200ms',
      '--output-nats-agent',
      'edge-1',
    ],
    { timeoutMs: 60_000 },
  );
  t.after(() => agent.child.kill('SIGKILL'));
  // Right after a restart JetStream may still be recovering its store (once a status waited past its
  // minute): a status that gets no answer within its --timeout exits 4 saying so, and is asked again.
  const status = async () => {
    for (let attempt = 1; ; attempt++) {
      const r = await runCli(['cluster', 'status', '--nats', nats.url, '--service', 'web', '--json', '--timeout', '5s']);
      if (r.code === 4 && /did not answer within 5000 ms/.test(r.stderr) && attempt < 6) continue;
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    }
  };
  await waitFor(() => /publishing to REPRISE_web/.test(agent.stderr()), 15_000, 'the agent to publish');
  await new Promise((r) => setTimeout(r, 500));
  await nats.kill();
  await waitFor(() => /NATS disconnected/.test(agent.stderr()), 10_000, 'the agent to notice the outage');
  await new Promise((r) => setTimeout(r, 1000));
  await nats.restart();
  await waitFor(() => /NATS reconnected/.test(agent.stderr()), 15_000, 'the agent to reconnect');
  const before = (await status()).stream.messages as number;
  for (let tries = 0; (await status()).stream.messages <= before + 20; tries++) {
    assert.ok(tries < 50, 'new messages are published after the restart');
    await new Promise((r) => setTimeout(r, 300));
  }
  const agentReport = (await status()).agents.find((a: { agent: string }) => a.agent === 'edge-1');
  assert.ok(agentReport.dropped > 0, 'drops during the outage are counted in KV');
  agent.child.kill('SIGINT');
  const result = await agent.done;
  assert.equal(result.code, 0, result.stderr);
  const counters = summaryCounters(result.stderr, 'output-nats');
  assert.ok(counters['nats-dropped']! > 0, 'the outage dropped messages and counted them');
  assert.ok(counters.acked! > before, 'messages were acked after the restart');
  assert.equal(summaryCounters(result.stderr, 'input-dummy').dropped, 0, 'capture itself never dropped');
});

test('with NATS unreachable and --output-nats-on-full spill, every message lands in the spill file as .gor records', async (t) => {
  const dir = tempDir(t);
  const spill = join(dir, 'spill.gor');
  // port 1 on loopback: nothing listens, the connection is refused
  const result = await runCli(
    [
      '--input-dummy',
      '25',
      '--input-dummy-interval',
      '0',
      '--output-nats',
      'nats://127.0.0.1:1',
      '--output-nats-on-full',
      'spill',
      '--output-nats-spill',
      spill,
      '--output-nats-connect-wait',
      '200ms',
    ],
    { timeoutMs: 20_000 },
  );
  assert.equal(result.code, 0, result.stderr);
  assert.equal(summaryCounters(result.stderr, 'output-nats').spilled, 25);
  const records = readRecords(spill);
  assert.equal(records.length, 25);
  for (const r of records) assert.match(`${r.type} ${r.payload}`, /^1 (GET|POST) \/dummy\//);
});

test('bad NATS settings are refused before anything runs, naming the component and option', async (t) => {
  const badUrl = await runCli(['--input-dummy', '1', '--output-nats', 'nats:/nowhere']);
  assert.equal(badUrl.code, 2, badUrl.stderr);
  assert.match(badUrl.stderr, /output-nats: "nats:\/nowhere" is not a NATS URL/);
  const noSpill = await runCli(['--input-dummy', '1', '--output-nats', 'nats://127.0.0.1:1', '--output-nats-on-full', 'spill']);
  assert.equal(noSpill.code, 2, noSpill.stderr);
  assert.match(noSpill.stderr, /output-nats \(option spill\): .*--output-nats-spill/);
  const badService = await runCli(['--input-nats', 'nats://127.0.0.1:1', '--input-nats-service', 'a.b', '--output-null']);
  assert.equal(badService.code, 2, badService.stderr);
  assert.match(badService.stderr, /input-nats \(option service\)/);
  const nats = await startNatsServer(t);
  const missing = await runCli(['--input-nats', nats.url, '--input-nats-service', 'nothing', '--output-null']);
  assert.equal(missing.code, 4, missing.stderr);
  assert.match(missing.stderr, /no stream REPRISE_nothing/);
});
