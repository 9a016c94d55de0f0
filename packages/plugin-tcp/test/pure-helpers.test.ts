import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTcpAddress, parseTcpAddress } from '../src/address.js';
import { MAX_RETRY_MS, retryDelayMs } from '../src/backoff.js';
import { previewBytes } from '../src/preview-bytes.js';
import { stickyWorkerIndex } from '../src/session-hash.js';

test('relay addresses: :PORT listens everywhere, HOST:PORT and [v6]:PORT name a host; an output needs a host', () => {
  assert.deepEqual(parseTcpAddress(':28020', { needsHost: false }), { port: 28020 });
  assert.deepEqual(parseTcpAddress('127.0.0.1:1', { needsHost: true }), { host: '127.0.0.1', port: 1 });
  assert.deepEqual(parseTcpAddress('[::1]:80', { needsHost: true }), { host: '::1', port: 80 });
  assert.deepEqual(parseTcpAddress('replay.local:28020', { needsHost: true }), { host: 'replay.local', port: 28020 });
  assert.throws(() => parseTcpAddress(':28020', { needsHost: true }), /no host/);
  assert.throws(() => parseTcpAddress('host:0', { needsHost: true }), /port 0/);
  assert.throws(() => parseTcpAddress('28020', { needsHost: false }), /not an address/);
  assert.throws(() => parseTcpAddress('h:70000', { needsHost: true }), /out of range/);
  assert.equal(formatTcpAddress({ host: '::1', port: 5 }), '[::1]:5');
  assert.equal(formatTcpAddress({ port: 5 }), ':5');
});

test('reconnect delays double from 100 ms up to 5 s', () => {
  assert.deepEqual([0, 1, 2, 3, 4].map(retryDelayMs), [0, 100, 200, 400, 800]);
  assert.equal(retryDelayMs(7), 5000);
  assert.equal(retryDelayMs(1000), MAX_RETRY_MS);
});

test("sticky workers follow the id's first 16 hex digits (the TCP session), not the request counter", () => {
  const session = 'c0ffee0000001f90';
  const index = stickyWorkerIndex(`${session}00000001`, 8);
  for (let n = 2; n < 50; n++) assert.equal(stickyWorkerIndex(`${session}${n.toString(16).padStart(8, '0')}`, 8), index);
  const used = new Set<number>();
  for (let s = 0; s < 64; s++) used.add(stickyWorkerIndex(`${s.toString(16).padStart(16, '0')}00000001`, 8));
  assert.ok(used.size >= 6, `64 sessions spread over ${used.size} of 8 workers`);
  for (const i of used) assert.ok(i >= 0 && i < 8);
});

test('binary previews escape control bytes and cut long payloads', () => {
  assert.equal(previewBytes(Buffer.from('PING 1\r\n\x00\\')), 'PING 1\\r\\n\\x00\\\\');
  assert.equal(previewBytes(Buffer.alloc(10, 0x61), 4), 'aaaa… (+6 bytes)');
});
