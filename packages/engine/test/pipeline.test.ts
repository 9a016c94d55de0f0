import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineMiddleware, defineOutput, type AnyComponentDefinition, type Message, type Rate } from '@reprise/core';
import { Pipeline } from '../src/index.js';
import { arrayInput, collectingOutput, mapMiddleware, request } from './helpers.js';

const use = (definition: AnyComponentDefinition, value?: string, rate?: Rate) => ({ definition, value, rate, options: {} });
const batches = (count: number, size: number) => Array.from({ length: count }, () => Array.from({ length: size }, () => request()));

test('every output gets every message, in order', async () => {
  const input = batches(10, 7);
  const a = collectingOutput('output-a');
  const b = collectingOutput('output-b');
  const result = await new Pipeline({
    inputs: [use(arrayInput(input))],
    middleware: [],
    outputs: [use(a.definition), use(b.definition)],
  }).run();
  assert.equal(result.reason, 'inputs-ended');
  assert.deepEqual(
    a.received.map((m) => m.id),
    input.flat().map((m) => m.id),
  );
  assert.deepEqual(
    b.received.map((m) => m.id),
    input.flat().map((m) => m.id),
  );
});

test('split-output deals requests round-robin so each output gets a share', async () => {
  const input = batches(3, 10);
  const a = collectingOutput('output-a');
  const b = collectingOutput('output-b');
  await new Pipeline(
    { inputs: [use(arrayInput(input))], middleware: [], outputs: [use(a.definition), use(b.definition)] },
    { splitOutput: true },
  ).run();
  assert.equal(a.received.length, 15);
  assert.equal(b.received.length, 15);
  const ids = new Set([...a.received, ...b.received].map((m) => m.id));
  assert.equal(ids.size, 30);
});

test('a recorded input is paced by a slow output and nothing is dropped', async () => {
  const input = batches(20, 50);
  const slow = collectingOutput('output-slow', 2);
  const fast = collectingOutput('output-fast');
  const pipeline = new Pipeline(
    { inputs: [use(arrayInput(input))], middleware: [], outputs: [use(slow.definition), use(fast.definition)] },
    { queueCapacity: 100 },
  );
  await pipeline.run();
  assert.equal(slow.received.length, 1000);
  assert.equal(fast.received.length, 1000);
  assert.equal(pipeline.outputs[0]!.stats.get('dropped'), 0);
});

test('a live input never waits for a slow output: the overflow is dropped and counted, the fast output gets everything', async () => {
  const input = batches(40, 50);
  const slow = collectingOutput('output-slow', 20);
  const fast = collectingOutput('output-fast');
  const pipeline = new Pipeline(
    { inputs: [use(arrayInput(input, { isLive: true }))], middleware: [], outputs: [use(slow.definition), use(fast.definition)] },
    { queueCapacity: 100 },
  );
  await pipeline.run();
  assert.equal(fast.received.length, 2000);
  const dropped = pipeline.outputs[0]!.stats.get('dropped');
  assert.ok(dropped > 0, 'the slow output dropped some');
  assert.equal(slow.received.length + dropped, 2000, 'every message is either delivered or counted as dropped');
});

test('a |50% rate suffix on an output samples about half the messages', async () => {
  const input = batches(40, 100);
  const out = collectingOutput();
  const pipeline = new Pipeline({
    inputs: [use(arrayInput(input))],
    middleware: [],
    outputs: [use(out.definition, 'x', { kind: 'percent', value: 50 })],
  });
  await pipeline.run();
  // 4000 trials at p=0.5: the standard deviation is ~32, so ±200 is over 6 sigma.
  assert.ok(Math.abs(out.received.length - 2000) < 200, `got ${out.received.length}`);
  assert.equal(pipeline.outputs[0]!.stats.get('rate-limited'), 4000 - out.received.length);
});

test('middleware can drop and amplify, and runs before the outputs', async () => {
  const input = batches(2, 4);
  const out = collectingOutput();
  let n = 0;
  const middleware = mapMiddleware((m) => (n++ % 2 === 0 ? [] : [m, { ...m, id: m.id.replace(/^0/, 'f') }]));
  await new Pipeline({ inputs: [use(arrayInput(input))], middleware: [use(middleware)], outputs: [use(out.definition)] }).run();
  assert.equal(out.received.length, 8);
});

test('replayed responses emitted by an output at flush reach the other outputs before they close', async () => {
  const input = batches(3, 5);
  const file = collectingOutput('output-file-like');
  const seenByEmitter: string[] = [];
  const emitting = defineOutput({
    kind: 'output',
    name: 'output-emitter',
    summary: 'emits a response per request when flushed',
    options: { type: 'object', properties: {} },
    create(_v, _o, ctx) {
      const pending: Message[] = [];
      return {
        emitsMessages: true,
        write(batch) {
          seenByEmitter.push(...batch.map((m) => m.kind));
          pending.push(...batch.filter((m) => m.kind === 'request'));
        },
        async flush() {
          await new Promise((r) => setTimeout(r, 20));
          ctx.emit(pending.map((m) => ({ ...m, kind: 'replayed-response' as const })));
        },
      };
    },
  });
  await new Pipeline({ inputs: [use(arrayInput(input))], middleware: [], outputs: [use(emitting), use(file.definition)] }).run();
  assert.equal(file.received.filter((m) => m.kind === 'request').length, 15);
  assert.equal(file.received.filter((m) => m.kind === 'replayed-response').length, 15);
  assert.ok(!seenByEmitter.includes('replayed-response'), 'an output never gets its own messages back');
});

test('stop() ends an endless input and still delivers everything that was read', async () => {
  const input = batches(5, 10);
  const out = collectingOutput('output-slowish', 5);
  const pipeline = new Pipeline({
    inputs: [use(arrayInput(input, { untilAborted: true }))],
    middleware: [],
    outputs: [use(out.definition)],
  });
  const running = pipeline.run();
  setTimeout(() => pipeline.stop('signal'), 50);
  const result = await running;
  assert.equal(result.reason, 'signal');
  assert.equal(out.received.length, 50);
});

test('an output that throws stops the pipeline with an error naming the component and phase', async () => {
  const broken = defineOutput({
    kind: 'output',
    name: 'output-broken',
    summary: 'throws',
    options: { type: 'object', properties: {} },
    create() {
      return {
        write() {
          throw new Error('disk on fire');
        },
      };
    },
  });
  const result = await new Pipeline({
    inputs: [use(arrayInput(batches(3, 3), { untilAborted: true }))],
    middleware: [],
    outputs: [use(broken)],
  }).run();
  assert.equal(result.reason, 'error');
  assert.match(result.error!.message, /output-broken.*during write.*disk on fire/);
});

test('a password in a component value never reaches labels, logs or stats', async () => {
  const { hidePassword } = await import('@reprise/core');
  assert.equal(hidePassword('http://elastic:s3cret@127.0.0.1:9200/gor'), 'http://elastic:***@127.0.0.1:9200/gor');
  assert.equal(hidePassword('http://127.0.0.1:8080'), 'http://127.0.0.1:8080');
  const out = collectingOutput();
  const pipeline = new Pipeline({
    inputs: [use(arrayInput([]))],
    middleware: [],
    outputs: [use(out.definition, 'https://u:p4ss@staging/x')],
  });
  assert.equal(pipeline.outputs[0]!.stats.label, 'output-collect https://u:***@staging/x');
});

test('a middleware learns at create whether any output sends replayed responses back', async () => {
  const seen: Array<boolean | undefined> = [];
  const probe = defineMiddleware({
    kind: 'middleware',
    name: 'middleware-probe',
    summary: 'records ctx.outputsTrackResponses',
    options: { type: 'object', properties: {} },
    create(_v, _o, ctx) {
      seen.push(ctx.outputsTrackResponses);
      return { process: (batch) => batch };
    },
  });
  const run = (extra: { emitsMessages?: boolean }) =>
    new Pipeline({
      inputs: [use(arrayInput(batches(1, 1)))],
      middleware: [use(probe)],
      outputs: [use(collectingOutput('a').definition), use(collectingOutput('b', 0, extra).definition)],
    }).run();
  await run({});
  await run({ emitsMessages: true });
  assert.deepEqual(seen, [false, true]);
});

/** Requests of `sessions` sessions, `perSession` each, interleaved, with GoReplay-layout ids. */
function sessionRequests(sessions: number, perSession: number): Message[] {
  const list: Message[] = [];
  for (let n = 1; n <= perSession; n++) {
    for (let s = 0; s < sessions; s++) {
      const req = request(`/s${s}/${n}`);
      list.push({ ...req, id: s.toString(16).padStart(16, '0') + n.toString(16).padStart(8, '0') });
    }
  }
  return list;
}

/** An output that answers each request with a replayed response after `delayMs` (never for paths starting with a `silentPaths` entry). */
function answeringOutput(delayMs: number, silentPaths: string[] = []) {
  return defineOutput({
    kind: 'output',
    name: 'output-answer',
    summary: 'test output',
    options: { type: 'object', properties: {} },
    create(_v, _o, ctx) {
      const pending = new Set<Promise<void>>();
      return {
        emitsMessages: true,
        write(batch) {
          for (const message of batch) {
            if (message.kind !== 'request') continue;
            if (silentPaths.some((p) => new TextDecoder().decode(message.payload).startsWith(`GET ${p}`))) continue;
            const p = new Promise<void>((resolve) =>
              setTimeout(() => {
                ctx.emit([{ ...message, kind: 'replayed-response', payload: new TextEncoder().encode('HTTP/1.1 200 OK\r\n\r\n') }]);
                resolve();
              }, delayMs),
            );
            pending.add(p);
            p.then(() => pending.delete(p));
          }
        },
        async flush() {
          while (pending.size) await Promise.all([...pending]);
        },
      };
    },
  });
}

test("with sessions, the chain sees each session's next request only after the previous replayed response; sessions interleave", async () => {
  const input = sessionRequests(5, 4);
  const seen: string[] = [];
  const watch = mapMiddleware((m) => {
    seen.push(`${m.kind === 'request' ? 'req' : 'res'} ${m.id}`);
    return [m];
  });
  const pipeline = new Pipeline(
    { inputs: [use(arrayInput([input]))], middleware: [use(watch)], outputs: [use(answeringOutput(5))] },
    { recognizeTcpSessions: true, sessionResponseTimeoutMs: 5000 },
  );
  const result = await pipeline.run();
  assert.equal(result.reason, 'inputs-ended');
  assert.equal(seen.filter((s) => s.startsWith('req')).length, 20);
  for (const message of input) {
    const n = parseInt(message.id.slice(16), 16);
    if (n === 1) continue;
    const previous = message.id.slice(0, 16) + (n - 1).toString(16).padStart(8, '0');
    assert.ok(seen.indexOf(`res ${previous}`) < seen.indexOf(`req ${message.id}`), `${message.id} came after ${previous}'s response`);
  }
  // Without the hold, every request reaches the chain before any response: the order differs.
  assert.equal(
    seen.slice(0, 5).every((s) => s.startsWith('req')),
    true,
    'the first request of every session goes at once',
  );
  assert.ok(
    seen.slice(0, 6).some((s) => s.startsWith('res')),
    'the second requests waited for responses',
  );
  assert.equal(pipeline.stats.find((s) => s.label === 'sessions')!.get('timed-out'), 0);
});

test('with sessions, a request whose response never comes releases its session after the timeout, and the run still ends', async () => {
  const input = sessionRequests(2, 3);
  const out = answeringOutput(1, ['/s0/1 ']);
  const seen: string[] = [];
  const watch = mapMiddleware((m) => {
    if (m.kind === 'request') seen.push(m.id);
    return [m];
  });
  const pipeline = new Pipeline(
    { inputs: [use(arrayInput([input]))], middleware: [use(watch)], outputs: [use(out)] },
    { recognizeTcpSessions: true, sessionResponseTimeoutMs: 50 },
  );
  await pipeline.run();
  assert.equal(seen.length, 6, 'every request went through');
  assert.equal(pipeline.stats.find((s) => s.label === 'sessions')!.get('timed-out'), 1);
});

test('split-output with sessions deals whole sessions: every request of a session goes to one output', async () => {
  const input = sessionRequests(40, 3);
  const a = collectingOutput('output-a');
  const b = collectingOutput('output-b');
  await new Pipeline(
    { inputs: [use(arrayInput([input]))], middleware: [], outputs: [use(a.definition), use(b.definition)] },
    { splitOutput: true, recognizeTcpSessions: true },
  ).run();
  const sessionsOf = (list: Message[]) => new Set(list.map((m) => m.id.slice(0, 16)));
  const inA = sessionsOf(a.received);
  const inB = sessionsOf(b.received);
  assert.equal(a.received.length + b.received.length, 120);
  assert.ok(inA.size > 5 && inB.size > 5, `both outputs get sessions (${inA.size}, ${inB.size})`);
  for (const key of inA) assert.ok(!inB.has(key), `session ${key} only in one output`);
  assert.equal(a.received.length, inA.size * 3);
});

test('by default a session waits 2 s for a replayed response that never comes', { timeout: 10_000 }, async () => {
  const input = sessionRequests(1, 2);
  const arrivals: number[] = [];
  const started = Date.now();
  const watch = mapMiddleware((m) => {
    if (m.kind === 'request') arrivals.push(Date.now() - started);
    return [m];
  });
  await new Pipeline(
    { inputs: [use(arrayInput([input]))], middleware: [use(watch)], outputs: [use(answeringOutput(1, ['/s0/1 ']))] },
    { recognizeTcpSessions: true },
  ).run();
  assert.equal(arrivals.length, 2);
  assert.ok(arrivals[1]! - arrivals[0]! >= 1900, `the second request waited ${arrivals[1]! - arrivals[0]!} ms`);
});

test('the session hold is bounded: a live input drops (and counts) what the gate cannot hold, a recorded one waits', {
  timeout: 20_000,
}, async () => {
  // One session, nothing ever answered: every request after the first is held until the timeout.
  const oneSession = (count: number) => sessionRequests(1, count).map((m) => [m]);
  const live = new Pipeline(
    { inputs: [use(arrayInput(oneSession(100), { isLive: true }))], middleware: [], outputs: [use(answeringOutput(1, ['/s0/']))] },
    { recognizeTcpSessions: true, sessionResponseTimeoutMs: 10, queueCapacity: 20 },
  );
  await live.run();
  const liveInput = live.inputs[0]!.stats;
  assert.ok(liveInput.get('dropped') > 0, 'the live input dropped beyond the limit');
  assert.equal(liveInput.get('out') + liveInput.get('dropped'), 100, 'every message is delivered or counted');

  const recorded = new Pipeline(
    { inputs: [use(arrayInput(oneSession(60)))], middleware: [], outputs: [use(answeringOutput(1, ['/s0/']))] },
    { recognizeTcpSessions: true, sessionResponseTimeoutMs: 5, queueCapacity: 20 },
  );
  await recorded.run();
  assert.equal(recorded.inputs[0]!.stats.get('dropped'), 0);
  assert.equal(recorded.outputs[0]!.stats.get('in'), 60, 'the recorded input waited; everything went out');
});

test('a middleware that answers later gets the next batches meanwhile, at most three at a time, and outputs keep bus order', async () => {
  const input = batches(12, 5);
  const collected = collectingOutput('output-a');
  let inFlight = 0;
  let mostInFlight = 0;
  const seenOrder: string[] = [];
  const slow = defineMiddleware({
    kind: 'middleware',
    name: 'middleware-slow',
    summary: 'answers each batch after a delay that varies, so answers come back out of order',
    options: { type: 'object', properties: {} },
    create() {
      let k = 0;
      return {
        process: async (batch: Message[]) => {
          seenOrder.push(batch[0]!.id);
          inFlight++;
          mostInFlight = Math.max(mostInFlight, inFlight);
          // Later batches answer sooner: 30, 20, 10, 30, ... ms.
          await new Promise((resolve) => setTimeout(resolve, 30 - 10 * (k++ % 3)));
          inFlight--;
          return batch.map((m) => ({ ...m, id: `${m.id.slice(0, 23)}f` }));
        },
      };
    },
  });
  const secondStage: string[] = [];
  const result = await new Pipeline({
    inputs: [use(arrayInput(input))],
    middleware: [
      use(slow),
      use(
        mapMiddleware((m) => {
          secondStage.push(m.id);
          return [m];
        }),
      ),
    ],
    outputs: [use(collected.definition)],
  }).run();
  assert.equal(result.reason, 'inputs-ended');
  assert.deepEqual(
    seenOrder,
    input.map((b) => b[0]!.id),
    'the first stage sees the batches in bus order',
  );
  assert.deepEqual(
    secondStage,
    input.flat().map((m) => `${m.id.slice(0, 23)}f`),
    'and so does the next, although the answers came back out of order',
  );
  assert.deepEqual(
    collected.received.map((m) => m.id),
    input.flat().map((m) => `${m.id.slice(0, 23)}f`),
    'and the outputs get them in that order, whatever order the answers came in',
  );
  assert.ok(mostInFlight > 1, `batches overlapped (${mostInFlight} at most)`);
  assert.ok(mostInFlight <= 3, `at most three batches in flight, saw ${mostInFlight}`);
});

test('a middleware that rejects a batch stops the run, as one that throws does, naming the plugin', async () => {
  const input = batches(4, 3);
  const collected = collectingOutput('output-a');
  const flaky = defineMiddleware({
    kind: 'middleware',
    name: 'middleware-flaky',
    summary: 'rejects its second batch',
    options: { type: 'object', properties: {} },
    create() {
      let k = 0;
      return {
        process: async (batch: Message[]) => {
          if (k++ === 1) throw new Error('second batch refused');
          return batch;
        },
      };
    },
  });
  const result = await new Pipeline({
    inputs: [use(arrayInput(input))],
    middleware: [use(flaky)],
    outputs: [use(collected.definition)],
  }).run();
  assert.equal(result.reason, 'error');
  assert.match(result.error!.message, /middleware-flaky.*during transform.*second batch refused/);
  assert.ok(
    collected.received.every((m) => !input[1]!.some((lost) => lost.id === m.id)),
    'nothing of the rejected batch reached the output',
  );
});
