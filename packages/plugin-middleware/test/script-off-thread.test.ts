// The script sandbox with its isolate on isolated-vm's own thread (runBatchOffThread), several batches
// in flight at once as the engine gives them: the same outcomes as on this thread, in order, the same
// recovery from timeouts and exhausted heaps, and a store that stays right through both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from '@reprise/core';
import { ScriptSandbox, type BatchOutcome } from '../src/script-sandbox.js';
import { request, response, text } from './context.js';

const dir = mkdtempSync(join(tmpdir(), 'reprise-off-thread-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function sandbox(code: string, limits: { memoryLimitMb?: number; timeLimitMs?: number } = {}): ScriptSandbox {
  const file = join(dir, `script-${++n}.js`);
  writeFileSync(file, code);
  return new ScriptSandbox({ file, memoryLimitMb: limits.memoryLimitMb ?? 32, timeLimitMs: limits.timeLimitMs ?? 200 });
}

/** Gives every batch at once (as the engine gives up to three) and waits for all. */
function allAtOnce(sb: ScriptSandbox, batches: Message[][]): Promise<BatchOutcome[]> {
  return Promise.all(batches.map((b) => sb.runBatchOffThread(b)));
}

const paths = (outcome: BatchOutcome) => outcome.outputs.map((o) => text(o).split('\n')[0]!.split(' ')[1]);

test('batches in flight together come back in order, and module state sees the messages in order', { timeout: 20000 }, async (t) => {
  const sb = sandbox(`let seen = 0;
export function request(req) { req.headers.set('seen', String(++seen)); if (req.path.endsWith('/drop')) return null; return req; }`);
  t.after(() => sb.dispose());
  const batches = Array.from({ length: 6 }, (_, b) =>
    Array.from({ length: 50 }, (_, i) => request(`GET /${b}/${i}${i % 10 === 9 ? '/drop' : ''} HTTP/1.1\nHost: a\n\n`)),
  );
  const outcomes = await allAtOnce(sb, batches);
  let seen = 0;
  for (const [b, outcome] of outcomes.entries()) {
    const expected = batches[b]!.map((_, i) => ({ i, seen: ++seen })).filter(({ i }) => i % 10 !== 9);
    assert.deepEqual(
      outcome.outputs.map((o, k) => [outcome.sources[k], /seen: (\d+)/.exec(text(o))![1]]),
      expected.map(({ i, seen }) => [i, String(seen)]),
      `batch ${b}`,
    );
    assert.equal(outcome.dropped, 5, `batch ${b} counts its drops`);
    assert.deepEqual(outcome.failures, []);
  }
});

test('an endless loop in one of several batches in flight: its message times out, the rest of every batch is delivered', {
  timeout: 30000,
}, async (t) => {
  const sb = sandbox(`export function request(req) { if (req.path === '/loop') for (;;) {} req.headers.set('ok', '1'); return req; }`, {
    timeLimitMs: 100,
  });
  t.after(() => sb.dispose());
  const batches = [
    [request('GET /a HTTP/1.1\n\n'), request('GET /b HTTP/1.1\n\n')],
    [request('GET /c HTTP/1.1\n\n'), request('GET /loop HTTP/1.1\n\n'), request('GET /d HTTP/1.1\n\n')],
    [request('GET /e HTTP/1.1\n\n')],
  ];
  const [first, second, third] = await allAtOnce(sb, batches);
  assert.deepEqual(paths(first!), ['/a', '/b']);
  assert.deepEqual(paths(second!), ['/c', '/d'], 'what came before the loop is kept, what came after it runs');
  assert.deepEqual(
    second!.failures.map((f) => [f.index, f.kind]),
    [[1, 'timeout']],
  );
  assert.deepEqual(paths(third!), ['/e']);
  assert.match(text(second!.outputs[1]!), /ok: 1/);
  // And the sandbox goes on.
  assert.deepEqual(paths(await sb.runBatchOffThread([request('GET /f HTTP/1.1\n\n')])), ['/f']);
});

test('a heap exhausted in one batch in flight loses only its message; the batches behind it run in the rebuilt isolate', {
  timeout: 60000,
}, async (t) => {
  const sb = sandbox(
    `const hoard = [];
export function request(req) { if (req.path === '/hog') for (;;) hoard.push('x'.repeat(1024) + Math.random()); return req; }`,
    { memoryLimitMb: 16, timeLimitMs: 20000 },
  );
  t.after(() => sb.dispose());
  const batches = [
    [request('GET /a HTTP/1.1\n\n'), request('GET /hog HTTP/1.1\n\n'), request('GET /b HTTP/1.1\n\n')],
    [request('GET /c HTTP/1.1\n\n')],
    [request('GET /d HTTP/1.1\n\n'), request('GET /e HTTP/1.1\n\n')],
  ];
  const [first, second, third] = await allAtOnce(sb, batches);
  assert.deepEqual(paths(first!), ['/a', '/b']);
  assert.deepEqual(
    first!.failures.map((f) => [f.index, f.kind]),
    [[1, 'memory']],
  );
  assert.ok(first!.rebuilds >= 1);
  assert.deepEqual(paths(second!), ['/c']);
  assert.deepEqual(paths(third!), ['/d', '/e']);
  assert.deepEqual(second!.failures, []);
  assert.deepEqual(third!.failures, []);
});

const COUNTER = `export function request(req) {
  if (req.path === '/slow') for (;;) {}
  if (req.path === '/oom') globalThis.hog = new Array(5e6).fill(1.5);
  const n = (store.get('n') ?? 0) + 1;
  store.set('n', n);
  req.headers.set('n', String(n));
  return req;
}`;
const counted = (outcome: BatchOutcome) => outcome.outputs.map((o) => /n: (\d+)/.exec(text(o))![1]);
const requests = (...paths: string[]) => paths.map((p) => request(`GET ${p} HTTP/1.1\n\n`));

test('a script that uses store runs off-thread like any other, and its store stays right across batches in flight', {
  timeout: 20000,
}, async (t) => {
  const sb = sandbox(COUNTER);
  t.after(() => sb.dispose());
  const batches = Array.from({ length: 5 }, (_, b) => requests(...Array.from({ length: 4 }, (_, i) => `/${b}/${i}`)));
  const outcomes = await allAtOnce(sb, batches);
  assert.deepEqual(
    outcomes.flatMap(counted),
    Array.from({ length: 20 }, (_, i) => String(i + 1)),
  );
  assert.deepEqual(counted(await sb.runBatchOffThread(requests('/z'))), ['21']);
  assert.equal(sb.storeSize, 1);
});

test('a batch of a script that uses store leaves this thread free while it runs, after its first store call as before it', {
  timeout: 20000,
}, async (t) => {
  const sb = sandbox(
    `export function request(req) { const until = Date.now() + 150; while (Date.now() < until) {} store.set('n', (store.get('n') ?? 0) + 1); return req; }`,
    { timeLimitMs: 2000 },
  );
  t.after(() => sb.dispose());
  /** How many turns this thread's event loop takes while the batch runs (none when it runs here). */
  const turnsDuring = async (batch: Message[]): Promise<number> => {
    let turns = 0;
    let running = true;
    const spin = (): void => {
      turns++;
      if (running) setImmediate(spin);
    };
    setImmediate(spin);
    await sb.runBatchOffThread(batch);
    running = false;
    return turns;
  };
  assert.ok((await turnsDuring(requests('/first'))) > 10);
  assert.ok(
    (await turnsDuring(requests('/second'))) > 10,
    'the store call of the first batch did not bring the script back to this thread',
  );
  assert.equal(sb.storeSize, 1);
});

test('store through a timeout among batches in flight: the rebuilt isolate gets every change made before it, in the order made', {
  timeout: 20000,
}, async (t) => {
  const sb = sandbox(COUNTER, { timeLimitMs: 50, memoryLimitMb: 16 });
  t.after(() => sb.dispose());
  // The isolate runs /0/a (1, 2), /1/a (3), times out on /slow, runs the third batch (4, 5); then the
  // second batch is finished on this thread: /slow fails again (the isolate is rebuilt) and /1/b gets 6.
  const [first, second, third] = await allAtOnce(sb, [
    requests('/0/a', '/0/b'),
    requests('/1/a', '/slow', '/1/b'),
    requests('/2/a', '/2/b'),
  ]);
  assert.deepEqual(counted(first!), ['1', '2']);
  assert.deepEqual(counted(second!), ['3', '6']);
  assert.deepEqual(
    second!.failures.map((f) => f.kind),
    ['timeout'],
  );
  assert.equal(second!.rebuilds, 1);
  assert.deepEqual(counted(third!), ['4', '5']);
  // The third batch's changes came back after the rebuild: applied then, they would set the host's copy
  // back to 5, and an isolate rebuilt from it (here after an exhausted heap) would count from there.
  const rebuilt = await sb.runBatchOffThread(requests('/oom', '/after'));
  assert.deepEqual(
    rebuilt.failures.map((f) => f.kind),
    ['memory'],
  );
  assert.deepEqual(counted(rebuilt), ['7']);
  assert.deepEqual(counted(sb.runBatch(requests('/after'))), ['8']);
});

test('store through an exhausted heap: the call that ran out is as if it never ran, its messages run again once', {
  timeout: 30000,
}, async (t) => {
  const sb = sandbox(COUNTER, { memoryLimitMb: 16 });
  t.after(() => sb.dispose());
  const before = await sb.runBatchOffThread(requests('/a'));
  assert.deepEqual(counted(before), ['1']);
  const failing = await sb.runBatchOffThread(requests('/b', '/oom', '/c'));
  assert.deepEqual(
    failing.failures.map((f) => f.kind),
    ['memory'],
  );
  // /b's change in the lost isolate is gone with it; /b and /c run again in the rebuilt one.
  assert.deepEqual(counted(failing), ['2', '3']);
  assert.deepEqual(counted(await sb.runBatchOffThread(requests('/d'))), ['4']);
});

test('ids and timestamps read off-thread are each message’s own, in every batch in flight', { timeout: 20000 }, async (t) => {
  const sb = sandbox(
    `export function request(req) { req.headers.set('x-id', req.id); req.headers.set('x-ts', String(req.timestamp)); return req; }`,
  );
  t.after(() => sb.dispose());
  const batches = Array.from({ length: 4 }, () => Array.from({ length: 30 }, () => request('GET / HTTP/1.1\n\n')));
  const outcomes = await allAtOnce(sb, batches);
  for (const [b, outcome] of outcomes.entries()) {
    assert.deepEqual(
      outcome.outputs.map((o) => [/x-id: (\w+)/.exec(text(o))![1], /x-ts: (\d+)/.exec(text(o))![1]]),
      batches[b]!.map((m) => [m.id, String(m.timestamp)]),
    );
  }
});

test('response hooks correlate by id across batches in flight', { timeout: 20000 }, async (t) => {
  const sb = sandbox(`export function response(res, req) { res.headers.set('x-path', req ? req.path : 'none'); return res; }`);
  t.after(() => sb.dispose());
  const requests = Array.from({ length: 6 }, (_, i) => request(`GET /r${i} HTTP/1.1\n\n`));
  const batches = [requests.slice(0, 3), [...requests.slice(3), response('response', requests[0]!.id, 'HTTP/1.1 200 OK\n\n')]];
  batches.push(requests.slice(1).map((r) => response('response', r.id, 'HTTP/1.1 200 OK\n\n')));
  const outcomes = await allAtOnce(sb, batches);
  const tagged = outcomes.flatMap((o) => o.outputs.map((out) => /x-path: (\S+)/.exec(text(out))?.[1]).filter(Boolean));
  assert.deepEqual(tagged, ['/r0', '/r1', '/r2', '/r3', '/r4', '/r5']);
});

test('a sandbox closed while batches are in flight delivers nothing more and does not come back to life', { timeout: 20000 }, async () => {
  const sb = sandbox(`export function request(req) { const end = Date.now() + 30; while (Date.now() < end) {} return req; }`, {
    timeLimitMs: 1000,
  });
  const pending = allAtOnce(sb, [[request('GET /a HTTP/1.1\n\n')], [request('GET /b HTTP/1.1\n\n')], [request('GET /c HTTP/1.1\n\n')]]);
  await new Promise((resolve) => setTimeout(resolve, 10));
  sb.dispose();
  const outcomes = await pending;
  assert.ok(
    outcomes.every((o) => o.failures.length === 0 && o.rebuilds === 0),
    'no failure reported and no isolate rebuilt for batches cut short by closing',
  );
  assert.throws(() => sb.runBatch([request('GET /d HTTP/1.1\n\n')]), /closed/);
});

test('a view a script keeps reads its own id and timestamp in a later call, on either thread', { timeout: 20000 }, async (t) => {
  const code = `let last = null;
export function request(req) { if (last) { req.headers.set('x-prev', last.id); req.headers.set('x-prev-ts', String(last.timestamp)); } last = req; return req; }`;
  const offThread = sandbox(code);
  const onThread = sandbox(code);
  t.after(() => {
    offThread.dispose();
    onThread.dispose();
  });
  const batches = Array.from({ length: 4 }, () => Array.from({ length: 3 }, () => request('GET / HTTP/1.1\n\n')));
  const all = batches.flat();
  const expected = all.slice(1).map((_, k) => [all[k]!.id, String(all[k]!.timestamp)]);
  const read = (outcomes: BatchOutcome[]) =>
    outcomes
      .flatMap((o) => o.outputs.map((out) => text(out)))
      .slice(1)
      .map((m) => [/x-prev: (\w+)/.exec(m)![1], /x-prev-ts: (\d+)/.exec(m)![1]]);
  assert.deepEqual(read(await allAtOnce(offThread, batches)), expected);
  assert.deepEqual(read(batches.map((b) => onThread.runBatch(b))), expected);
});

test('a view kept for many batches no longer has its id: reading it fails that message with a RangeError that says why', {
  timeout: 20000,
}, (t) => {
  const sb = sandbox(`let first = null;
export function request(req) { first ??= req; if (req.path === '/late') req.headers.set('x-first', first.id); return req; }`);
  t.after(() => sb.dispose());
  for (let i = 0; i < 12; i++) sb.runBatch([request(`GET /${i} HTTP/1.1\n\n`)]);
  const outcome = sb.runBatch([request('GET /late HTTP/1.1\n\n')]);
  assert.deepEqual(outcome.outputs, []);
  assert.equal(outcome.failures.length, 1);
  assert.match(outcome.failures[0]!.message, /RangeError: the id and timestamp of a message from an earlier batch are gone/);
});
