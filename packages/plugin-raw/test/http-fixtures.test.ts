import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Message } from '@reprise/core';
import { PacketProcessor } from '../src/packet-processor.js';
import { PcapReader } from '../src/pcap-reader.js';
import { toPcapng } from './craft.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

function run(bytes: Uint8Array, trackResponse = true, realipHeader = '') {
  const processor = new PacketProcessor({ ports: new Set([18081]), trackResponse, realipHeader, expireMs: 2000 });
  const reader = new PcapReader((p) => processor.packet(p.linkType, p.data, p.originalLength, p.seconds, p.nanoseconds));
  reader.push(bytes);
  processor.finish();
  return { messages: processor.take(), counters: processor.counters };
}

const text = (m: Message) => Buffer.from(m.payload).toString('latin1');
const startLine = (m: Message) => text(m).split('\r\n')[0];

const expectedRequests = [
  'GET /hello?x=1 HTTP/1.1',
  'POST /form HTTP/1.1',
  'POST /upload HTTP/1.1',
  'PUT /chunked-request HTTP/1.1',
  'POST /continue HTTP/1.1',
  'HEAD /hello HTTP/1.1',
  'GET /empty HTTP/1.1',
  'GET /not-modified HTTP/1.1',
  'GET /chunked HTTP/1.1',
  'GET /pipe/1 HTTP/1.1',
  'GET /pipe/2 HTTP/1.1',
  'POST /pipe/3 HTTP/1.1',
];

for (const name of ['lo-ethernet.pcap', 'lo-ethernet-nano.pcap', 'any-sll.pcap', 'any-sll2.pcap']) {
  test(`frames every request and response recorded in ${name}`, { timeout: 10_000 }, () => {
    const { messages, counters } = run(fixture(name));
    const requests = messages.filter((m) => m.kind === 'request');
    const responses = messages.filter((m) => m.kind === 'response');
    assert.deepEqual(requests.map(startLine), expectedRequests);
    assert.equal(responses.length, 12);
    assert.equal(counters['non-http'], 1);
    assert.equal(counters.gaps, 0);
    assert.equal(counters.incomplete, 0);
  });
}

test('keeps bodies whole: Content-Length, several segments, chunked and 100-continue', { timeout: 10_000 }, () => {
  const { messages } = run(fixture('lo-ethernet.pcap'));
  const byLine = new Map(messages.filter((m) => m.kind === 'request').map((m) => [startLine(m), text(m)]));
  assert.match(byLine.get('POST /form HTTP/1.1')!, /\r\n\r\na=1&b=2$/);
  const upload = byLine.get('POST /upload HTTP/1.1')!;
  assert.ok(upload.endsWith('\r\n\r\n' + 'z'.repeat(20000)));
  assert.match(byLine.get('PUT /chunked-request HTTP/1.1')!, /\r\n\r\n0\r\n\r\n$/);
  assert.match(byLine.get('POST /continue HTTP/1.1')!, /\r\n\r\ncontinued body$/);
  assert.match(byLine.get('POST /pipe/3 HTTP/1.1')!, /\r\n\r\nabc$/);
  assert.match(byLine.get('GET /hello?x=1 HTTP/1.1')!, /\r\nx-test: one\r\n/);
});

test('pairs each response with its request: same id, the right answer, latency from request end', { timeout: 10_000 }, () => {
  const { messages } = run(fixture('lo-ethernet-nano.pcap'));
  const requests = new Map(messages.filter((m) => m.kind === 'request').map((m) => [m.id, m]));
  const responses = messages.filter((m) => m.kind === 'response');
  for (const r of responses) {
    const request = requests.get(r.id);
    assert.ok(request, `response ${r.id} has a request`);
    assert.match(r.id, /^[0-9a-f]{24}$/);
    assert.ok(r.timestamp >= request.timestamp);
    assert.ok(r.latency > 0n, 'the response starts after the request ends');
    assert.ok(r.latency < 1_000_000_000n);
  }
  const answer = (line: string) => {
    const req = [...requests.values()].find((m) => startLine(m) === line)!;
    return text(responses.find((r) => r.id === req.id)!);
  };
  assert.match(answer('HEAD /hello HTTP/1.1'), /^HTTP\/1.1 200 OK\r\n[\s\S]*\r\n\r\n$/);
  assert.match(answer('GET /empty HTTP/1.1'), /^HTTP\/1.1 204 /);
  assert.match(answer('GET /not-modified HTTP/1.1'), /^HTTP\/1.1 304 /);
  assert.match(answer('GET /chunked HTTP/1.1'), /first chunk;\r\n[\s\S]*second chunk\r\n0\r\n\r\n$/);
  assert.match(answer('POST /continue HTTP/1.1'), /^HTTP\/1.1 200 OK[\s\S]*echo: continued body$/);
  assert.match(answer('POST /pipe/3 HTTP/1.1'), /echo: abc$/);
  assert.match(answer('GET /pipe/1 HTTP/1.1'), /echo: $/);
});

test('timestamps are the first packet of each request, in nanoseconds', { timeout: 10_000 }, () => {
  const { messages } = run(fixture('lo-ethernet-nano.pcap'));
  const first = messages[0]!;
  const packets: bigint[] = [];
  new PcapReader((p) => packets.push(BigInt(p.seconds) * 1_000_000_000n + BigInt(p.nanoseconds))).push(fixture('lo-ethernet-nano.pcap'));
  assert.ok(packets.includes(first.timestamp));
  assert.ok(first.timestamp > 1_600_000_000_000_000_000n);
});

test('without track-response only requests come out', { timeout: 10_000 }, () => {
  const { messages, counters } = run(fixture('lo-ethernet.pcap'), false);
  assert.equal(messages.length, 12);
  assert.ok(messages.every((m) => m.kind === 'request'));
  assert.equal(counters.responses, 0);
});

test("the real-IP header carries the client's address", { timeout: 10_000 }, () => {
  const { messages } = run(fixture('lo-ethernet.pcap'), false, 'X-Real-IP');
  for (const m of messages) {
    const lines = text(m).split('\r\n');
    assert.equal(lines[1], 'X-Real-IP: 127.0.0.1');
  }
  assert.match(text(messages[1]!), /\r\n\r\na=1&b=2$/);
});

test('a pcapng copy of a capture gives the same messages', { timeout: 10_000 }, () => {
  const packets: Array<{ linkType: number; seconds: number; nanoseconds: number; data: Uint8Array }> = [];
  new PcapReader((p) => packets.push({ ...p, data: Uint8Array.from(p.data) })).push(fixture('lo-ethernet-nano.pcap'));
  const a = run(fixture('lo-ethernet-nano.pcap')).messages.map((m) => [m.kind, text(m), m.timestamp, m.latency]);
  const b = run(toPcapng(packets, 9)).messages.map((m) => [m.kind, text(m), m.timestamp, m.latency]);
  assert.deepEqual(b, a);
});
