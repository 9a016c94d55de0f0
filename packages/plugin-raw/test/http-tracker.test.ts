import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { connectionKey } from '../src/http-tracker.js';
import type { TcpSegment } from '../src/packet-decoder.js';
import { makeTracker, text, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from './tracker-segments.js';

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;
const OK = (body: string) => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

test('pairs keep-alive requests and responses in order with one id each', { timeout: 5_000 }, () => {
  const { feed, messages } = makeTracker();
  feed('request', 1000, '', TCP_SYN);
  feed('response', 5000, '', TCP_SYN | TCP_ACK);
  let c = 1001;
  let s = 5001;
  for (const path of ['/a', '/b', '/c']) {
    feed('request', c, GET(path));
    c += GET(path).length;
    feed('response', s, OK(path));
    s += OK(path).length;
  }
  assert.deepEqual(
    messages.map((m) => [m.kind, text(m).split('\r\n')[0]]),
    [
      ['request', 'GET /a HTTP/1.1'],
      ['response', 'HTTP/1.1 200 OK'],
      ['request', 'GET /b HTTP/1.1'],
      ['response', 'HTTP/1.1 200 OK'],
      ['request', 'GET /c HTTP/1.1'],
      ['response', 'HTTP/1.1 200 OK'],
    ],
  );
  for (let i = 0; i < 6; i += 2) {
    assert.equal(messages[i]!.id, messages[i + 1]!.id);
    assert.ok(text(messages[i + 1]!).endsWith(text(messages[i]!).split(' ')[1]!));
    assert.equal(messages[i + 1]!.latency, 1_000_000n, 'one millisecond between request end and response start');
  }
  assert.equal(new Set(messages.map((m) => m.id)).size, 3);
});

test('a new connection on the same ports (after FIN) starts fresh', { timeout: 5_000 }, () => {
  const { feed, messages, tracker } = makeTracker(false);
  feed('request', 1000, '', TCP_SYN);
  feed('request', 1001, GET('/first'));
  feed('request', 1001 + GET('/first').length, '', TCP_FIN | TCP_ACK);
  assert.equal(tracker.connectionCount, 0);
  feed('request', 900_000, '', TCP_SYN);
  feed('request', 900_001, GET('/second'));
  assert.deepEqual(
    messages.map((m) => text(m).split(' ')[1]),
    ['/first', '/second'],
  );
});

test('a reused 4-tuple with a new SYN replaces a connection that never closed', { timeout: 5_000 }, () => {
  const { feed, messages, counters } = makeTracker(false);
  feed('request', 1000, '', TCP_SYN);
  feed('request', 1001, 'POST /x HTTP/1.1\r\nContent-Length: 100\r\n\r\npartial');
  feed('request', 77_000, '', TCP_SYN);
  feed('request', 77_001, GET('/new'));
  assert.deepEqual(
    messages.map((m) => text(m).split(' ')[1]),
    ['/new'],
  );
  assert.equal(counters.incomplete, 1);
});

test('a reset drops the unfinished message and counts it', { timeout: 5_000 }, () => {
  const { feed, messages, counters, tracker } = makeTracker(false);
  feed('request', 1000, '', TCP_SYN);
  feed('request', 1001, 'POST /x HTTP/1.1\r\nContent-Length: 100\r\n\r\npartial');
  feed('request', 1100, '', TCP_RST);
  assert.equal(messages.length, 0);
  assert.equal(counters.incomplete, 1);
  assert.equal(tracker.connectionCount, 0);
});

test('a missing segment drops that message only; the connection recovers at the next request', { timeout: 5_000 }, () => {
  const { feed, messages, counters, tracker, now } = makeTracker(true, 1000);
  feed('request', 1000, '', TCP_SYN);
  const body = 'POST /lost HTTP/1.1\r\nContent-Length: 20\r\n\r\n';
  feed('request', 1001, body + '0123456789');
  // the next 10 bytes never arrive; the following request does
  const next = GET('/after');
  feed('request', 1001 + body.length + 20, next);
  feed('response', 7001, OK('x'), TCP_ACK, 40000, 0);
  tracker.sweep(now() + 1500);
  feed('response', 7001 + OK('x').length, OK('after'), TCP_ACK, 40000, 0);
  assert.equal(counters.gaps, 1);
  assert.deepEqual(
    messages.filter((m) => m.kind === 'request').map((m) => text(m)),
    [next],
  );
  assert.ok(!messages.some((m) => text(m).includes('/lost')), 'the broken message is never emitted');
});

test('a hole the server has acknowledged is given up at once, not after the expiry', { timeout: 5_000 }, () => {
  const { feed, messages, counters, tracker, now } = makeTracker(true, 5000);
  feed('request', 1000, '', TCP_SYN);
  feed('response', 7000, '', TCP_SYN | TCP_ACK, 40000, 1, 1001);
  const first = GET('/first');
  const lost = GET('/lost');
  const third = GET('/third');
  feed('request', 1001, first);
  // "/lost" never reaches the capture, but the server got it: its ACK covers it.
  feed('request', 1001 + first.length + lost.length, third);
  feed('response', 7001, OK('1'), TCP_ACK, 40000, 1, 1001 + first.length + lost.length);
  tracker.sweep(now() + 100);
  assert.equal(counters.gaps, 0, 'a moment of grace in case the segment is only late');
  tracker.sweep(now() + 400);
  assert.equal(counters.gaps, 1);
  assert.deepEqual(
    messages.filter((m) => m.kind === 'request').map((m) => text(m).split(' ')[1]),
    ['/first', '/third'],
  );
});

test('a hole the server has not acknowledged waits for a retransmission', { timeout: 5_000 }, () => {
  const { feed, messages, counters, tracker, now } = makeTracker(true, 5000);
  feed('request', 1000, '', TCP_SYN);
  const first = GET('/first');
  const late = GET('/late');
  feed('request', 1001, first);
  feed('request', 1001 + first.length + late.length, GET('/third'));
  feed('response', 7001, OK('1'), TCP_ACK, 40000, 1, 1001 + first.length);
  tracker.sweep(now() + 1000);
  assert.equal(counters.gaps, 0);
  feed('request', 1001 + first.length, late);
  assert.deepEqual(
    messages.filter((m) => m.kind === 'request').map((m) => text(m).split(' ')[1]),
    ['/first', '/late', '/third'],
  );
});

test('idle connections expire and their unfinished messages are counted', { timeout: 5_000 }, () => {
  const { feed, tracker, counters, now } = makeTracker(false, 2000);
  feed('request', 1000, 'POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nab');
  assert.equal(tracker.connectionCount, 1);
  tracker.sweep(now() + 1000);
  assert.equal(tracker.connectionCount, 1);
  tracker.sweep(now() + 2500);
  assert.equal(tracker.connectionCount, 0);
  assert.equal(counters.incomplete, 1);
});

test('responses for a stream that is not HTTP are not paired with anything', { timeout: 5_000 }, () => {
  const { feed, messages, counters } = makeTracker();
  feed('request', 999, '', TCP_SYN);
  feed('request', 1000, '\x16\x03\x01 tls hello');
  feed('response', 2000, 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
  assert.equal(messages.length, 0);
  assert.equal(counters['non-http'], 1);
  assert.equal(counters.unpaired, 0);
});

test('with allowIncomplete, a message cut short at connection end is handed over as it is, and counted', { timeout: 5_000 }, () => {
  const { feed, messages, counters, tracker, now } = makeTracker(true, 1000, { allowIncomplete: true });
  feed('request', 1000, '', TCP_SYN);
  feed('request', 1001, 'POST /x HTTP/1.1\r\nContent-Length: 100\r\n\r\npartial', TCP_ACK, 40000, 1, 7001);
  feed('response', 7001, 'HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nhalf', TCP_ACK, 40000, 1, 1001);
  tracker.sweep(now() + 1500);
  assert.deepEqual(
    messages.map((m) => [m.kind, text(m).split('\r\n\r\n')[1]]),
    [
      ['request', 'partial'],
      ['response', 'half'],
    ],
  );
  assert.equal(messages[0]!.id, messages[1]!.id, 'the incomplete request still pairs with its response');
  assert.equal(counters.incomplete, 2);
});

test('without allowIncomplete the same messages are only counted', { timeout: 5_000 }, () => {
  const { feed, messages, counters, tracker, now } = makeTracker(true, 1000);
  feed('request', 1000, '', TCP_SYN);
  feed('request', 1001, 'POST /x HTTP/1.1\r\nContent-Length: 100\r\n\r\npartial', TCP_ACK, 40000, 1, 7001);
  tracker.sweep(now() + 1500);
  assert.equal(messages.length, 0);
  assert.equal(counters.incomplete, 1);
});

test('a capture that joins a keep-alive connection mid-message waits for the next message, on both sides', { timeout: 5_000 }, () => {
  const { feed, messages, counters } = makeTracker();
  // No SYN: the first bytes seen are the ends of a request and a response sent before the capture.
  feed('request', 5000, 'tail of a request body', TCP_ACK, 40000, 1, 9000);
  feed('response', 9000, 'tail of a response body', TCP_ACK, 40000, 1, 5022);
  feed('request', 5022, GET('/next'), TCP_ACK, 40000, 1, 9023);
  feed('response', 9023, OK('next'), TCP_ACK, 40000, 1, 5022 + GET('/next').length);
  assert.deepEqual(
    messages.map((m) => [m.kind, text(m).split('\r\n')[0]]),
    [
      ['request', 'GET /next HTTP/1.1'],
      ['response', 'HTTP/1.1 200 OK'],
    ],
  );
  assert.equal(messages[0]!.id, messages[1]!.id);
  assert.equal(counters['non-http'], 0);
  assert.equal(counters.unpaired, 0);
});

test('a connection key is the same both ways and differs between connections, IPv4 and IPv6 (property)', () => {
  const segment = (src: number | string, srcPort: number, dst: number | string, dstPort: number) =>
    ({ src, srcPort, dst, dstPort, seq: 0, ack: 0, flags: 0, payload: new Uint8Array(0), missingBytes: 0 }) as TcpSegment;
  const ipv4 = fc.nat({ max: 0xffffffff });
  const ipv6 = fc.stringMatching(/^[0-9a-f]{32}$/);
  const port = fc.nat({ max: 0xffff });
  const endpoints = fc.oneof(fc.tuple(ipv4, port, ipv4, port), fc.tuple(ipv6, port, ipv6, port));
  // A second connection that differs from the first in one field (the likely near miss), or not at all.
  const change = fc.tuple(fc.nat({ max: 4 }), fc.nat({ max: 0xffffffff }));
  fc.assert(
    fc.property(endpoints, change, (first, [field, value]) => {
      const [a, ap, b, bp] = first;
      const key = connectionKey(segment(a, ap, b, bp));
      assert.equal(connectionKey(segment(b, bp, a, ap)), key, 'both directions');
      const other = [...first] as typeof first;
      if (field < 4) {
        const old = other[field]!;
        other[field] = typeof old === 'string' ? value.toString(16).padStart(32, '0') : field % 2 === 1 ? value & 0xffff : value;
      }
      const [c, cp, d, dp] = other;
      const isSame = (a === c && ap === cp && b === d && bp === dp) || (a === d && ap === dp && b === c && bp === cp);
      assert.equal(connectionKey(segment(c, cp, d, dp)) === key, isSame);
    }),
    { numRuns: 5000 },
  );
  // Neighbours that a decimal key would tell apart, and the halves of an address with its port.
  assert.notEqual(connectionKey(segment(0x0a000001, 80, 0x0a000002, 1)), connectionKey(segment(0x0a000001, 8, 0x0a000002, 1)));
  assert.notEqual(connectionKey(segment(0x00010002, 3, 1, 1)), connectionKey(segment(0x00010003, 2, 1, 1)));
});
