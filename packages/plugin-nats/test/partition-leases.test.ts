import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { startNatsServer } from '../../../test/support/nats-server.js';
import { PartitionLeases } from '../src/partition-leases.js';

test('live workers are counted once each, however often they heartbeat while the count is taken; one that left is not', {
  timeout: 60_000,
}, async (t) => {
  const nats = await startNatsServer(t);
  const nc = await connect({ servers: nats.url });
  t.after(() => nc.close());
  const live = await new Kvm(jetstream(nc)).create('live', { history: 1, ttl: 5000 });
  const jsm = await jetstreamManager(nc);
  const a = new PartitionLeases(live, 'live', jsm, 'a', 8);
  const b = new PartitionLeases(live, 'live', jsm, 'b', 8);
  await a.heartbeat('{}');
  await b.heartbeat('{}');
  // the other worker beats as fast as it can while this one counts: a heartbeat written while the count is
  // taken must read neither as a third worker (a key listing delivered it twice) nor as none (or missed it)
  let isBeating = true;
  const beating = (async () => {
    while (isBeating) await b.heartbeat('{}');
  })();
  const counts: number[] = [];
  for (let i = 0; i < 200; i++) counts.push(await a.heartbeat('{}'));
  isBeating = false;
  await beating;
  assert.deepEqual([...new Set(counts)], [2]);
  await b.releaseAll();
  assert.equal(await a.liveWorkers(), 1, 'a worker that left (its key deleted) is not counted');
});

test('with NATS gone, a rebalance gives its leases up and stops claiming within a request timeout or two, not one per partition', {
  timeout: 30_000,
}, async (t) => {
  const nats = await startNatsServer(t);
  const nc = await connect({ servers: nats.url, reconnectTimeWait: 250, maxReconnectAttempts: -1 });
  t.after(() => nc.close());
  // requests time out after 1 s: one after another, 8 renewals and 16 claims would take over 30 s
  const live = await new Kvm(jetstream(nc, { timeout: 1000 })).create('live', { history: 1, ttl: 60_000 });
  const leases = new PartitionLeases(live, 'live', await jetstreamManager(nc), 'a', 16);
  const first = await leases.rebalance(2);
  assert.equal(first.claimed.length, 8);
  await nats.kill();
  const second = await leases.rebalance(1);
  assert.deepEqual(
    second.lost,
    first.claimed.toSorted((x, y) => x - y),
  );
  assert.deepEqual(second.claimed, []);
  assert.deepEqual(leases.ownedPartitions, []);
});
