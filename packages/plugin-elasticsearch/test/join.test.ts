import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExchangeJoin, type Exchange, type JoinOptions } from '../src/join.js';
import { newId, requestMessage, responseMessage } from './context.js';

const join = (options: Partial<JoinOptions> = {}) => new ExchangeJoin({ windowMs: 1000, maxPending: 100, responses: 'auto', ...options });
const req = (id: string) => requestMessage(id, 'GET / HTTP/1.1\nHost: a');
const orig = (id: string) => responseMessage(id, 'response', 'HTTP/1.1 200 OK');
const replay = (id: string) => responseMessage(id, 'replayed-response', 'HTTP/1.1 200 OK');

test('a request is released with its response as soon as the response arrives', { timeout: 5000 }, () => {
  const j = join({ responses: 'original' });
  const out: Exchange[] = [];
  const id = newId();
  j.add(req(id), 0, out);
  assert.equal(out.length, 0, 'a request alone waits');
  j.add(orig(id), 10, out);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.id, id);
  assert.ok(out[0]!.request && out[0]!.original);
  assert.equal(j.size, 0);
});

test('a request whose response never comes is released alone when its window has passed', { timeout: 5000 }, () => {
  const j = join({ windowMs: 1000 });
  const out: Exchange[] = [];
  const id = newId();
  j.add(req(id), 0, out);
  j.expire(999, out);
  assert.equal(out.length, 0, 'not before the window ends');
  j.expire(1000, out);
  assert.equal(out.length, 1);
  assert.ok(out[0]!.request);
  assert.equal(out[0]!.original, undefined);
  assert.equal(j.size, 0, 'nothing is held after release');
});

test('a response that arrives before its request waits for it', { timeout: 5000 }, () => {
  const j = join({ responses: 'replayed' });
  const out: Exchange[] = [];
  const id = newId();
  j.add(replay(id), 0, out);
  assert.equal(out.length, 0);
  j.add(req(id), 5, out);
  assert.equal(out.length, 1);
  assert.ok(out[0]!.request && out[0]!.replayed);
});

test('a response whose request never comes is released without a request after the window', { timeout: 5000 }, () => {
  const j = join();
  const out: Exchange[] = [];
  j.add(orig(newId()), 0, out);
  j.expire(1000, out);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.request, undefined);
});

test('once replayed responses have been seen, a request waits for both kinds', { timeout: 5000 }, () => {
  const j = join();
  const out: Exchange[] = [];
  const first = newId();
  j.add(req(first), 0, out);
  j.add(replay(first), 1, out);
  j.add(orig(first), 2, out);
  out.length = 0;
  const second = newId();
  j.add(req(second), 3, out);
  j.add(orig(second), 4, out);
  assert.equal(out.length, 0, 'the replayed response is still expected');
  j.add(replay(second), 5, out);
  assert.equal(out.length, 1);
  assert.ok(out[0]!.original && out[0]!.replayed);
});

test('with responses "replayed" an original response does not complete a request', { timeout: 5000 }, () => {
  const j = join({ responses: 'replayed' });
  const out: Exchange[] = [];
  const id = newId();
  j.add(req(id), 0, out);
  j.add(orig(id), 1, out);
  assert.equal(out.length, 0);
  j.add(replay(id), 2, out);
  assert.equal(out.length, 1);
});

test('with responses "both" the first request waits for both kinds from the start', { timeout: 5000 }, () => {
  const j = join({ responses: 'both' });
  const out: Exchange[] = [];
  const id = newId();
  j.add(req(id), 0, out);
  j.add(orig(id), 1, out);
  assert.equal(out.length, 0);
  j.add(replay(id), 2, out);
  assert.equal(out.length, 1);
});

test('beyond maxPending the oldest waiting request is released early and counted', { timeout: 5000 }, () => {
  const j = join({ maxPending: 2 });
  const out: Exchange[] = [];
  const ids = [newId(), newId(), newId()];
  for (const id of ids) j.add(req(id), 0, out);
  assert.equal(j.size, 2);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.id, ids[0]);
  assert.equal(j.evictedCount, 1);
});

test('expiry releases in arrival order and stops at the first request still in its window', { timeout: 5000 }, () => {
  const j = join({ windowMs: 100 });
  const out: Exchange[] = [];
  const ids = [newId(), newId(), newId()];
  j.add(req(ids[0]!), 0, out);
  j.add(req(ids[1]!), 50, out);
  j.add(req(ids[2]!), 120, out);
  j.expire(160, out);
  assert.deepEqual(
    out.map((e) => e.id),
    [ids[0], ids[1]],
  );
  j.drain(out);
  assert.deepEqual(
    out.map((e) => e.id),
    ids,
  );
  assert.equal(j.size, 0);
});

test('a second response of the same kind releases the first exchange and starts another', { timeout: 5000 }, () => {
  const j = join({ responses: 'both' });
  const out: Exchange[] = [];
  const id = newId();
  j.add(req(id), 0, out);
  j.add(replay(id), 1, out);
  j.add(replay(id), 2, out);
  assert.equal(out.length, 1);
  assert.ok(out[0]!.request && out[0]!.replayed);
  assert.equal(j.size, 1);
});

test('auto waits for both kinds at first, then stops waiting for a kind the stream does not carry', { timeout: 5000 }, () => {
  const j = join({ windowMs: 100 });
  const out: Exchange[] = [];
  const first = newId();
  j.add(req(first), 0, out);
  j.add(orig(first), 1, out);
  assert.equal(out.length, 0, 'the first request also waits for a replayed response');
  j.expire(100, out);
  assert.equal(out.length, 1, 'released by its window, with its original response');
  assert.ok(out[0]!.original);
  out.length = 0;
  const second = newId();
  j.add(req(second), 200, out);
  j.add(orig(second), 201, out);
  assert.equal(out.length, 1, 'replayed responses are no longer waited for');
});

test('auto waits for a kind again as soon as one of it arrives', { timeout: 5000 }, () => {
  const j = join({ windowMs: 100 });
  const out: Exchange[] = [];
  const first = newId();
  j.add(req(first), 0, out);
  j.add(orig(first), 1, out);
  j.expire(100, out);
  out.length = 0;
  const second = newId();
  j.add(req(second), 200, out);
  j.add(replay(second), 201, out);
  j.add(orig(second), 202, out);
  assert.equal(out.length, 1);
  out.length = 0;
  const third = newId();
  j.add(req(third), 300, out);
  j.add(orig(third), 301, out);
  assert.equal(out.length, 0, 'replayed responses are expected again');
  j.add(replay(third), 302, out);
  assert.equal(out.length, 1);
});

test('in GoReplay file replay, originals come long before replayed responses and are still joined', { timeout: 5000 }, () => {
  // Regression: auto used to expect only kinds already seen, so every original completed its request
  // before the first replayed response came back, and the replayed ones were all orphans.
  const j = join({ windowMs: 1000 });
  const out: Exchange[] = [];
  const ids = [newId(), newId(), newId()];
  for (const id of ids) {
    j.add(req(id), 0, out);
    j.add(orig(id), 0, out);
  }
  assert.equal(out.length, 0);
  for (const id of ids) j.add(replay(id), 50, out);
  assert.equal(out.length, 3);
  assert.ok(out.every((e) => e.request && e.original && e.replayed));
});

test('auto also stops waiting for a never-seen kind when maxPending requests went by without it', { timeout: 5000 }, () => {
  const j = join({ windowMs: 60_000, maxPending: 3 });
  const out: Exchange[] = [];
  const ids = [newId(), newId(), newId(), newId()];
  for (const id of ids.slice(0, 3)) {
    j.add(req(id), 0, out);
    j.add(orig(id), 0, out);
  }
  assert.equal(out.length, 0, 'all three wait for a replayed response');
  j.add(req(ids[3]!), 1, out);
  assert.deepEqual(
    out.map((e) => e.id),
    [ids[0]],
    'the fourth request evicted the first',
  );
  j.add(orig(ids[3]!), 2, out);
  assert.deepEqual(
    out.map((e) => e.id),
    [ids[0], ids[3]],
    'the fourth completes with its original response alone',
  );
});
