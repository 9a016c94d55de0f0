import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHttpHead } from '@reprise/core';
import { ReplayStats } from '../src/replay-stats.js';
import { createOutput, requestMessage, startRecordingServer } from './helpers.js';

const T = { timeout: 15_000 };

test("ReplayStats prints GoReplay's queue columns (latest, mean, max, count, count/second) and latency, then starts a new period", () => {
  const stats = new ReplayStats();
  for (const length of [1, 3, 8, 4]) stats.sampleQueue(length);
  stats.sampleLatency(2);
  stats.sampleLatency(6);
  assert.equal(stats.takeLine(2000), 'queue latest,mean,max,count,count/second: 4,4,8,4,2; latency ms mean,max: 4.0,6.0 over 2 responses');
  assert.equal(stats.takeLine(2000), 'queue latest,mean,max,count,count/second: 0,0,0,0,0; latency ms mean,max: 0.0,0.0 over 0 responses');
});

test('with gRPC answers in the period, ReplayStats adds their count per grpc-status', () => {
  const stats = new ReplayStats();
  for (const status of [0, 14, 0, undefined]) stats.sampleGrpcStatus(status);
  assert.match(stats.takeLine(1000), /over 0 responses; grpc-status 0:2,14:1,missing:1$/);
  assert.match(stats.takeLine(1000), /over 0 responses$/);
});

test('--output-http-stats logs a line every statsMs while replaying', T, async (t) => {
  const target = await startRecordingServer(t);
  const { output, ctx } = await createOutput(t, target.url, { stats: true, statsMs: 100 });
  await output.write(Array.from({ length: 30 }, () => requestMessage('GET /s HTTP/1.1\r\nHost: x\r\n\r\n')));
  await output.flush!();
  await new Promise((r) => setTimeout(r, 250));
  const lines = ctx.infos.filter((l) => l.startsWith('queue latest,mean,max,count,count/second: '));
  assert.ok(lines.length >= 2, `periodic lines: ${JSON.stringify(ctx.infos)}`);
  const counts = lines.map((l) => Number(/: \d+,\d+,\d+,(\d+),/.exec(l)![1]));
  assert.equal(
    counts.reduce((a, b) => a + b, 0),
    30,
    'every request counted in exactly one period',
  );
});

test('--output-http-response-buffer keeps only that many body bytes of a tracked response, and counts it', T, async (t) => {
  const body = 'x'.repeat(5000);
  const target = await startRecordingServer(t, (_req, res) => res.end(body));
  const { output, ctx } = await createOutput(t, target.url, { trackResponse: true, responseBuffer: '1kb' });
  await output.write([requestMessage('GET /big HTTP/1.1\r\nHost: x\r\n\r\n')]);
  await output.flush!();
  const response = ctx.emitted.flat()[0]!;
  const head = parseHttpHead(response.payload)!;
  assert.equal(response.payload.length - head.bodyOffset, 1024);
  assert.equal(ctx.counters['truncated-response'], 1);
  const whole = await createOutput(t, target.url, { trackResponse: true });
  await whole.output.write([requestMessage('GET /big HTTP/1.1\r\nHost: x\r\n\r\n')]);
  await whole.output.flush!();
  const full = whole.ctx.emitted.flat()[0]!;
  assert.equal(full.payload.length - parseHttpHead(full.payload)!.bodyOffset, 5000, 'by default the whole body is kept');
});

test('--output-http-worker-timeout closes an idle connection after that long', T, async (t) => {
  const target = await startRecordingServer(t);
  const connections: number[] = [];
  target.server.on('connection', (socket) => connections.push(socket.remotePort!));
  const replayTwice = async (options: { workerTimeout?: string }) => {
    connections.length = 0;
    const { output } = await createOutput(t, target.url, { workers: 1, ...options });
    await output.write([requestMessage('GET /1 HTTP/1.1\r\nHost: x\r\n\r\n')]);
    await output.flush!();
    await new Promise((r) => setTimeout(r, 400));
    await output.write([requestMessage('GET /2 HTTP/1.1\r\nHost: x\r\n\r\n')]);
    await output.flush!();
    await output.close!();
    return connections.length;
  };
  assert.equal(await replayTwice({ workerTimeout: '100ms' }), 2, 'idle for 400ms > 100ms: a new connection');
  assert.equal(await replayTwice({ workerTimeout: '2s' }), 1, 'idle for 400ms < 2s: the same connection');
  assert.equal(await replayTwice({}), 1, 'by default (4s) the connection is kept too');
});
