import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { startNatsServer } from '../../../test/support/nats-server.js';
import { PartitionLeases } from '../src/partition-leases.js';

test('live workers are counted once each, however often they heartbeat while the count is taken', { timeout: 60_000 }, async (t) => {
  const nats = await startNatsServer(t);
  const nc = await connect({ servers: nats.url });
  t.after(() => nc.close());
  const live = await new Kvm(jetstream(nc)).create('live', { history: 1, ttl: 5000 });
  const a = new PartitionLeases(live, 'a', 8, 5000);
  const b = new PartitionLeases(live, 'b', 8, 5000);
  await a.heartbeat('{}');
  await b.heartbeat('{}');
  // the other worker beats as fast as it can while this one counts: a heartbeat written during the listing
  // is delivered again by the key listing, and must not read as a third worker
  let isBeating = true;
  const beating = (async () => {
    while (isBeating) await b.heartbeat('{}');
  })();
  const counts: number[] = [];
  for (let i = 0; i < 200; i++) counts.push(await a.heartbeat('{}'));
  isBeating = false;
  await beating;
  assert.deepEqual([...new Set(counts)], [2]);
});
