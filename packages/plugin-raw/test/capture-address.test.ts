import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultBpfFilter, parseFileTarget, parseLiveAddress } from '../src/capture-address.js';
import { decodeBatch, encodeBatch } from '../src/batch-codec.js';
import type { Message } from '@reprise/core';

test("reads GoReplay's address forms", { timeout: 5_000 }, () => {
  assert.deepEqual(parseLiveAddress(':8081'), { port: 8081 });
  assert.deepEqual(parseLiveAddress('0.0.0.0:80'), { port: 80 });
  assert.deepEqual(parseLiveAddress('127.0.0.1:8081'), { host: '127.0.0.1', port: 8081 });
  assert.deepEqual(parseLiveAddress('[::1]:8081'), { host: '::1', port: 8081 });
  assert.deepEqual(parseLiveAddress('localhost:3000'), { host: '127.0.0.1', port: 3000 });
  assert.deepEqual(parseLiveAddress('eth0:8081'), { device: 'eth0', port: 8081 });
  assert.throws(() => parseLiveAddress('8081x'), /not an address/);
  assert.throws(() => parseLiveAddress(':70000'), /out of range/);
});

test('an existing file is a pcap file, with or without a port', { timeout: 5_000 }, () => {
  const exists = (p: string) => p === './capture.pcap';
  assert.deepEqual(parseFileTarget('./capture.pcap', exists), { path: './capture.pcap', port: 0 });
  assert.deepEqual(parseFileTarget('./capture.pcap:8081', exists), { path: './capture.pcap', port: 8081 });
  assert.equal(parseFileTarget(':8081', exists), undefined);
});

test('builds the default capture filter from port, addresses and track-response', { timeout: 5_000 }, () => {
  assert.equal(defaultBpfFilter(8081, [], false), 'tcp dst port 8081');
  assert.equal(defaultBpfFilter(8081, [], true), '(tcp dst port 8081) or (tcp src port 8081)');
  assert.equal(
    defaultBpfFilter(80, ['10.0.0.1'], true),
    '(tcp dst port 80 and (dst host 10.0.0.1)) or (tcp src port 80 and (src host 10.0.0.1))',
  );
  assert.equal(defaultBpfFilter(0, [], false), 'tcp');
});

test('a packed batch unpacks to the same messages', { timeout: 5_000 }, () => {
  const messages: Message[] = [
    {
      kind: 'request',
      id: 'a'.repeat(24),
      timestamp: 1_795_000_000_123_456_789n,
      latency: 0n,
      payload: Buffer.from('GET / HTTP/1.1\r\n\r\n'),
    },
    { kind: 'response', id: 'b'.repeat(24), timestamp: 1n, latency: 123_456n, payload: new Uint8Array(70_000).fill(7) },
    { kind: 'request', id: 'c'.repeat(24), timestamp: 2n, latency: 0n, payload: Buffer.from('POST / HTTP/1.1\r\n\r\n'), protocol: 'h2c' },
    { kind: 'response', id: 'c'.repeat(24), timestamp: 3n, latency: 1n, payload: Buffer.from('HTTP/1.1 200 OK\r\n\r\n'), protocol: 'h2' },
  ];
  const decoded = decodeBatch(encodeBatch(messages));
  assert.deepEqual(
    decoded.map((m) => ({ ...m, payload: [...m.payload] })),
    messages.map((m) => ({ ...m, payload: [...m.payload] })),
  );
  assert.deepEqual(decodeBatch(encodeBatch([])), []);
});
