import assert from 'node:assert/strict';
import { test } from 'node:test';
import { partitionOf, serviceNames } from '../src/service-names.js';

test('a session always lands in the same partition, and sessions spread over all partitions', () => {
  const counts = new Array(16).fill(0);
  for (let port = 1024; port < 1024 + 1600; port++) {
    const session = `${port.toString(16).padStart(4, '0')}1f900100007f`.padEnd(16, '0');
    const k = partitionOf(session, 16);
    assert.equal(partitionOf(session, 16), k);
    counts[k]++;
  }
  for (const n of counts) assert.ok(n > 50 && n < 150, `partition sizes ${counts.join(',')}`);
});

test('a service name gives every stream, subject and bucket; a bad one is refused naming the option', () => {
  const names = serviceNames('shop', { plugin: 'output-nats', option: 'service' });
  assert.equal(names.trafficStream, 'REPRISE_shop');
  assert.equal(names.trafficSubject(3), 'reprise.shop.t.3');
  assert.equal(names.resultsSubject, 'reprise.shop.r');
  assert.throws(
    () => serviceNames('shop.eu', { plugin: 'output-nats', option: 'service' }),
    (e: Error & { option?: string; plugin?: string }) => {
      assert.match(e.message, /service "shop.eu"/);
      assert.equal(e.option, 'service');
      assert.equal(e.plugin, 'output-nats');
      return true;
    },
  );
});
