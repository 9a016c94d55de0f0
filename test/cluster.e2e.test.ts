/** `reprise cluster run|status` against a real nats-server: sharing, session affinity, a killed worker, the rate. */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { Message } from '@reprise/core';
import { recordingServer, runCli, startCli, tempDir, waitFor, type RunningCli } from './support/cli.js';
import { getRequests, summaryCounters, writeGor } from './support/gor.js';
import { freePort, startNatsServer } from './support/nats-server.js';

/** `sessions` keep-alive connections of `perSession` requests each, interleaved in time; path /s<k>/<i>. */
function sessionTraffic(sessions: number, perSession: number): Message[] {
  const start = 1_795_574_173_000_000_000n;
  const out: Message[] = [];
  for (let i = 0; i < perSession; i++) {
    for (let k = 0; k < sessions; k++) {
      // client ports both below and above the server's (8080 = 1f90)
      const clientPort = (k % 2 === 0 ? 0x0400 + k : 0xe000 + k).toString(16).padStart(4, '0');
      const session = `${clientPort}1f900100007f`.padEnd(16, '0');
      out.push({
        kind: 'request',
        id: session + (i + 1).toString(16).padStart(8, '0'),
        timestamp: start + BigInt(out.length) * 1_000_000n,
        latency: 0n,
        payload: new TextEncoder().encode(`GET /s${k}/${i} HTTP/1.1\r\nHost: shop\r\n\r\n`),
      });
    }
  }
  return out;
}

async function publish(natsUrl: string, service: string, messages: Message[], dir: string): Promise<void> {
  const file = join(dir, `${service}-${messages.length}.gor`);
  writeGor(file, messages);
  const result = await runCli([
    '--input-file',
    file,
    '--input-file-no-wait',
    '--output-nats',
    natsUrl,
    '--output-nats-service',
    service,
    '--output-nats-on-full',
    'wait',
  ]);
  assert.equal(result.code, 0, result.stderr);
}

function worker(
  t: { after(fn: () => void): void },
  natsUrl: string,
  target: string,
  service: string,
  name: string,
  extra: string[] = [],
): RunningCli {
  const cli = startCli(['cluster', 'run', '--nats', natsUrl, '--service', service, '--target', target, '--worker', name, ...extra], {
    timeoutMs: 90_000,
  });
  t.after(() => cli.child.kill('SIGKILL'));
  return cli;
}

async function status(natsUrl: string, service: string) {
  // a generous --timeout: on a loaded test machine JetStream may be slow to answer, not down
  const r = await runCli(['cluster', 'status', '--nats', natsUrl, '--service', service, '--json', '--timeout', '30s']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Replayed responses in the results stream: id → worker. */
async function resultWorkers(natsUrl: string, service: string): Promise<Map<string, string>> {
  const nc = await connect({ servers: natsUrl });
  try {
    const consumer = await jetstream(nc).consumers.get(`REPRISE_${service}_RESULTS`);
    const byId = new Map<string, string>();
    const info = await consumer.info();
    let left = info.num_pending;
    while (left > 0) {
      const m = await consumer.next({ expires: 2000 });
      if (!m) break;
      assert.equal(m.headers?.get('Reprise-Type'), '3');
      byId.set(m.headers!.get('Reprise-Id'), m.headers!.get('Reprise-Worker'));
      left = m.info.pending;
    }
    return byId;
  } finally {
    await nc.close();
  }
}

/** Replaces the target's answer: each request is recorded on arrival, then answered after `delayMs`, or never (it stays in flight at its worker). */
function answerAfter(target: Awaited<ReturnType<typeof recordingServer>>, delayMs: number | 'never'): void {
  target.server.removeAllListeners('request');
  target.server.on('request', (req, res) => {
    target.received.push({
      method: req.method!,
      url: req.url!,
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      body: Buffer.alloc(0),
      atMs: Date.now(),
    });
    req.resume();
    if (delayMs !== 'never') req.on('end', () => setTimeout(() => res.end('ok'), delayMs));
  });
}

test('with session affinity, three workers share the sessions: each session on one worker, its requests in order', async (t) => {
  const nats = await startNatsServer(t);
  const target = await recordingServer(t);
  const dir = tempDir(t);
  const workers = ['w1', 'w2', 'w3'].map((name) =>
    worker(t, nats.url, target.url, 'shop', name, ['--session-affinity', '--lease-ttl', '3s']),
  );
  // wait until the partitions are spread over the three before traffic arrives
  await waitFor(() => workers.every((w) => /of 3: partitions/.test(w.stderr())), 30_000, 'three workers sharing the partitions');
  await new Promise((r) => setTimeout(r, 1000));
  const traffic = sessionTraffic(12, 8);
  await publish(nats.url, 'shop', traffic, dir);
  await waitFor(() => target.received.length >= traffic.length, 30_000, 'every request replayed');
  await waitFor(() => true, 10);

  const bySession = new Map<string, number[]>();
  for (const r of target.received) {
    const [, k, i] = /^\/s(\d+)\/(\d+)$/.exec(r.url)!;
    bySession.set(k!, [...(bySession.get(k!) ?? []), Number(i)]);
  }
  for (const [k, order] of bySession)
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
      `session ${k} replayed in order`,
    );

  let results = new Map<string, string>();
  await waitFor(() => true, 10);
  for (let tries = 0; results.size < traffic.length && tries < 40; tries++) {
    results = await resultWorkers(nats.url, 'shop');
    if (results.size < traffic.length) await new Promise((r) => setTimeout(r, 250));
  }
  assert.equal(results.size, traffic.length, 'a replayed response per request in the results stream');
  const workersOfSession = new Map<string, Set<string>>();
  for (const m of traffic) {
    const session = m.id.slice(0, 16);
    workersOfSession.set(session, (workersOfSession.get(session) ?? new Set()).add(results.get(m.id)!));
  }
  for (const [session, names] of workersOfSession) assert.equal(names.size, 1, `session ${session} stayed on one worker`);
  assert.ok(new Set([...results.values()]).size >= 2, 'the work was shared');
  const s = await status(nats.url, 'shop');
  assert.equal(s.mode, 'session-affinity');
  assert.equal(s.backlog, 0);
  assert.equal(s.workers.length, 3);
});

test('a worker killed with SIGKILL loses nothing: its requests are redelivered to the other, and --exit-when-drained exits 0', async (t) => {
  const nats = await startNatsServer(t);
  // a slow target, so the killed worker has requests in flight
  const target = await recordingServer(t);
  answerAfter(target, 300);
  const dir = tempDir(t);
  const traffic = sessionTraffic(32, 4);
  await publish(nats.url, 'api', traffic, dir);
  const flags = ['--session-affinity', '--lease-ttl', '1s', '--ack-wait', '2s', '--exit-when-drained'];
  const doomed = worker(t, nats.url, target.url, 'api', 'doomed', flags);
  const survivor = worker(t, nats.url, target.url, 'api', 'survivor', flags);
  // each partition holds a request for 300 ms at the target
  // kill the doomed worker once both are running and it has requests in flight (whichever partitions it holds)
  const startedAt = Date.now();
  for (;;) {
    const workers: Array<{ worker: string; inFlight: number }> = (await status(nats.url, 'api')).workers;
    const doomedNow = workers.find((w) => w.worker === 'doomed');
    if (doomedNow !== undefined && doomedNow.inFlight > 0 && workers.some((w) => w.worker === 'survivor')) break;
    assert.ok(
      Date.now() - startedAt < 30_000,
      `both workers running and the doomed one with requests in flight (${JSON.stringify(workers)}); doomed: ${doomed.stderr()}; survivor: ${survivor.stderr()}`,
    );
    await new Promise((r) => setTimeout(r, 100));
  }
  doomed.child.kill('SIGKILL');
  const result = await survivor.done;
  assert.equal(result.code, 0, result.stderr);
  const paths = new Set(target.received.map((r) => r.url));
  for (const m of traffic) assert.ok(paths.has(new TextDecoder().decode(m.payload).split(' ')[1]!), 'every request reached the target');
  const duplicates = target.received.length - traffic.length;
  const s = await status(nats.url, 'api');
  assert.equal(s.backlog, 0);
  assert.equal(s.inFlight, 0);
  assert.ok(duplicates >= 0);
  const survivorRedelivered = summaryCounters(result.stderr, 'input-nats-work').redelivered ?? 0;
  assert.ok(survivorRedelivered >= 1, 'the survivor counted the redeliveries it got');
  assert.ok(s.redelivered >= survivorRedelivered, "status sums the workers' redeliveries");
  assert.equal((await resultWorkers(nats.url, 'api')).size, traffic.length, 'every request has its replayed response');
});

test('two workers together hold the aggregate rate within 5% of the target', async (t) => {
  const nats = await startNatsServer(t);
  const target = await recordingServer(t);
  const dir = tempDir(t);
  await publish(nats.url, 'rate', getRequests(3000), dir);
  const a = worker(t, nats.url, target.url, 'rate', 'a', ['--rate', '200', '--lease-ttl', '600ms']);
  const b = worker(t, nats.url, target.url, 'rate', 'b', ['--rate', '200', '--lease-ttl', '600ms']);
  await waitFor(() => target.received.length > 0, 30_000, 'replay to start');
  // measure over 5 s, from 1.5 s after the start (both workers have seen each other by then)
  const from = target.received[0]!.atMs + 1500;
  const to = from + 5000;
  await waitFor(() => Date.now() > to + 200, 20_000, 'the measurement window');
  const count = target.received.filter((r) => r.atMs >= from && r.atMs < to).length;
  const achieved = count / 5;
  const perSecond = Array.from(
    { length: 8 },
    (_, k) => target.received.filter((r) => r.atMs >= from - 1500 + k * 1000 && r.atMs < from - 500 + k * 1000).length,
  );
  assert.ok(
    Math.abs(achieved - 200) <= 10,
    `achieved ${achieved}/s against 200/s (per second from the first request: ${perSecond.join(' ')})`,
  );
  const s = await status(nats.url, 'rate');
  assert.equal(s.rate.targetPerSec, 200);
  assert.ok(s.backlog > 0);
  a.child.kill('SIGINT');
  b.child.kill('SIGINT');
  assert.equal((await a.done).code, 0);
  assert.equal((await b.done).code, 0);
});

test('--speed follows the recorded timestamps across workers: no request goes before its time on the shared clock', async (t) => {
  const nats = await startNatsServer(t);
  const target = await recordingServer(t);
  const dir = tempDir(t);
  const traffic = getRequests(40, { gapMs: 100 });
  await publish(nats.url, 'timed', traffic, dir);
  const workers = ['t1', 't2'].map((name) =>
    worker(t, nats.url, target.url, 'timed', name, ['--speed', '200%', '--exit-when-drained', '--lease-ttl', '1s']),
  );
  const results = await Promise.all(workers.map((w) => w.done));
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  assert.equal(target.received.length, traffic.length);
  const nc = await connect({ servers: nats.url });
  const run = JSON.parse((await (await new Kvm(nc).open('REPRISE_timed')).get('run'))!.string());
  await nc.close();
  assert.equal(run.speedPercent, 200);
  for (const r of target.received) {
    const i = Number(/\/item\/(\d+)/.exec(r.url)![1]);
    // recorded 100 ms apart, replayed at 200%: request i is due 50·i ms after the run's start
    assert.ok(r.atMs >= run.startMs + i * 50 - 5, `request ${i} arrived ${r.atMs - run.startMs} ms after the start, due at ${i * 50}`);
  }
  const senders = new Set((await resultWorkers(nats.url, 'timed')).values());
  assert.equal(senders.size, 2, 'both workers took part');

  // traffic recorded an hour later, replayed by a new run: its clock starts at that traffic, not the old one
  const later = getRequests(5, { startNs: traffic[0]!.timestamp + 3_600_000_000_000n, gapMs: 100, path: (i) => `/later/${i}` })
    // new ids: the same ones would be deduplicated by the stream
    .map((m) => ({ ...m, id: `b${m.id.slice(1)}` }));
  await publish(nats.url, 'timed', later, dir);
  const again = await worker(t, nats.url, target.url, 'timed', 't3', ['--speed', '100%', '--exit-when-drained']).done;
  assert.equal(again.code, 0, again.stderr);
  assert.equal(target.received.filter((r) => r.url.startsWith('/later/')).length, 5);
  const nc2 = await connect({ servers: nats.url });
  const rerun = JSON.parse((await (await new Kvm(nc2).open('REPRISE_timed')).get('run'))!.string());
  await nc2.close();
  assert.equal(rerun.firstTimestampNs, String(later[0]!.timestamp));
  assert.ok(rerun.startMs > run.startMs);
});

test("--at-most-once acknowledges before sending: a killed worker's requests are never sent again", async (t) => {
  const nats = await startNatsServer(t);
  const target = await recordingServer(t);
  // the target never answers: the requests stay in flight at the worker
  answerAfter(target, 'never');
  const dir = tempDir(t);
  await publish(nats.url, 'once', getRequests(5), dir);
  const first = worker(t, nats.url, target.url, 'once', 'first', ['--at-most-once', '--ack-wait', '1s', '--timeout', '30s']);
  await waitFor(() => target.received.length === 5, 40_000, 'the five requests sent').catch((error: Error) => {
    throw new Error(`${error.message} (${target.received.length} sent); the worker: ${first.stderr()}`);
  });
  const s = await status(nats.url, 'once');
  assert.equal(s.backlog, 0);
  assert.equal(s.inFlight, 0, 'acknowledged before any response');
  first.child.kill('SIGKILL');
  await first.done;
  await new Promise((r) => setTimeout(r, 1500)); // past the ack wait
  const second = await worker(t, nats.url, target.url, 'once', 'second', ['--at-most-once', '--exit-when-drained']).done;
  assert.equal(second.code, 0, second.stderr);
  assert.equal(
    target.received.length,
    5,
    `nothing was sent twice: ${target.received.map((r) => `${r.url} ${r.headers['user-agent']} at ${r.atMs}`).join(', ')}; first worker: ${first.stderr()}; second: ${second.stderr}`,
  );
});

test('cluster status shows the backlog, what a dead worker left in flight, its lag, and warns that nobody is working', async (t) => {
  const nats = await startNatsServer(t);
  const target = await recordingServer(t);
  answerAfter(target, 'never');
  const dir = tempDir(t);
  await publish(nats.url, 'shop', getRequests(6), dir);
  const lonely = worker(t, nats.url, target.url, 'shop', 'lonely', [
    '--max-in-flight',
    '2',
    '--lease-ttl',
    '1s',
    '--ack-wait',
    '60s',
    '--timeout',
    '60s',
  ]);
  await waitFor(() => target.received.length === 2, 20_000, 'two requests in flight');
  lonely.child.kill('SIGKILL');
  await lonely.done;
  await new Promise((r) => setTimeout(r, 1500)); // its heartbeat expires
  const s = await status(nats.url, 'shop');
  assert.equal(s.mode, 'shared');
  assert.equal(s.backlog, 4);
  assert.equal(s.inFlight, 2);
  assert.equal(s.consumers[0].limit, 8192);
  assert.ok(s.consumers[0].lagMs >= 1000, `lag ${s.consumers[0].lagMs} ms`);
  assert.deepEqual(
    s.workers.map((w: { worker: string; isAlive: boolean }) => [w.worker, w.isAlive]),
    [['lonely', false]],
  );
  assert.ok(
    s.warnings.some((w: string) => /no worker is alive/.test(w)),
    JSON.stringify(s.warnings),
  );
  const text = await runCli(['cluster', 'status', '--nats', nats.url, '--service', 'shop', '--timeout', '30s']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /backlog 4, in flight 2/);
  assert.match(text.stdout, /lonely \(gone\)/);
  assert.match(text.stdout, /warning: messages are waiting and no worker is alive/);
});

test('cluster status gives up after --timeout when JetStream does not answer, or the server never speaks, exit 4 naming the server', async (t) => {
  // a server whose JetStream API takes the requests and never answers (as right after a restart)
  const nats = await startNatsServer(t, { jetStream: false });
  const nc = await connect({ servers: nats.url });
  t.after(() => nc.close());
  nc.subscribe('$JS.API.>');
  await nc.flush();
  const silent = await runCli(['cluster', 'status', '--nats', nats.url, '--service', 'shop', '--timeout', '1500ms'], { timeoutMs: 20_000 });
  assert.equal(silent.code, 4, silent.stderr);
  assert.match(silent.stderr, new RegExp(`cluster status \\(option timeout\\): NATS at ${nats.url} did not answer within 1500 ms`));
  // a port that accepts connections and never speaks NATS
  const mute = createServer(() => undefined);
  await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
  t.after(() => mute.close());
  const muteUrl = `nats://127.0.0.1:${(mute.address() as AddressInfo).port}`;
  const never = await runCli(['cluster', 'status', '--nats', muteUrl, '--service', 'shop', '--timeout', '1s'], { timeoutMs: 20_000 });
  assert.equal(never.code, 4, never.stderr);
  assert.match(never.stderr, new RegExp(`cluster status.*NATS at ${muteUrl}`));
  const closedUrl = `nats://127.0.0.1:${await freePort()}`;
  const refused = await runCli(['cluster', 'status', '--nats', closedUrl, '--service', 'shop'], { timeoutMs: 20_000 });
  assert.equal(refused.code, 4, refused.stderr);
  assert.match(refused.stderr, new RegExp(`cluster status: cannot connect to NATS at ${closedUrl}`));
  const bad = await runCli(['cluster', 'status', '--nats', nats.url, '--service', 'shop', '--timeout', 'soon']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /option timeout.*"soon" is not a duration/);
});

test('workers of a service all run with or all without --session-affinity: one of the other mode is refused (exit 2) before it takes work', async (t) => {
  const nats = await startNatsServer(t);
  const target = await recordingServer(t);
  const dir = tempDir(t);
  const traffic = sessionTraffic(2, 3);
  await publish(nats.url, 'mixed', traffic, dir);
  const sticky = worker(t, nats.url, target.url, 'mixed', 'sticky', ['--session-affinity']);
  await waitFor(() => /worker sticky on REPRISE_mixed/.test(sticky.stderr()), 30_000, 'the first worker to start');
  const loose = ['cluster', 'run', '--nats', nats.url, '--service', 'mixed', '--target', target.url, '--worker', 'loose'];
  const refused = await runCli(loose, { timeoutMs: 30_000 });
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(
    refused.stderr,
    /input-nats-work \(option sessionAffinity\): the workers of service "mixed" run with --session-affinity and this one without/,
  );
  const nc = await connect({ servers: nats.url });
  t.after(() => nc.close());
  const consumers: string[] = [];
  for await (const c of (await jetstreamManager(nc)).consumers.list('REPRISE_mixed')) consumers.push(c.name);
  assert.ok(!consumers.includes('reprise-work'), `the refused worker created no consumer: ${consumers.join(' ')}`);
  // once every worker has stopped, a run in the other mode may start
  sticky.child.kill('SIGINT');
  await sticky.done;
  const next = await runCli([...loose, '--exit-when-drained'], { timeoutMs: 60_000 });
  assert.equal(next.code, 0, next.stderr);
});
