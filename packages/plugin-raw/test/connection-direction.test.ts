// The direction of a connection is decided once: SYN, then the server port, then the first HTTP
// start line, and only then the lower port. Both client ports below and above the server's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionIdOf } from '@reprise/core';
import { CLIENT, makeTracker, SERVER_PORT, text, TCP_ACK, TCP_SYN } from './tracker-segments.js';

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;
const OK = (body: string) => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
const ANY_PORT = { ports: new Set<number>() };

function exchange(feed: ReturnType<typeof makeTracker>['feed'], clientPort: number, paths: string[], withSyn: boolean) {
  let c = 1001;
  let s = 5001;
  if (withSyn) {
    feed('request', 1000, '', TCP_SYN, clientPort);
    feed('response', 5000, '', TCP_SYN | TCP_ACK, clientPort, 1, 1001);
  }
  for (const path of paths) {
    feed('request', c, GET(path), TCP_ACK, clientPort, 1, s);
    c += GET(path).length;
    feed('response', s, OK(path), TCP_ACK, clientPort, 1, c);
    s += OK(path).length;
  }
}

for (const clientPort of [1500, 40000]) {
  for (const withSyn of [true, false]) {
    for (const ports of ['filter', 'none'] as const) {
      test(`client port ${clientPort} vs server ${SERVER_PORT}, ${withSyn ? 'with' : 'without'} SYN, ${ports === 'filter' ? 'port filter' : 'no port'}: every exchange is found`, {
        timeout: 5_000,
      }, () => {
        const { feed, messages, counters, tracker } = makeTracker(true, 2000, ports === 'none' ? ANY_PORT : {});
        exchange(feed, clientPort, ['/a', '/b'], withSyn);
        tracker.finishAll();
        assert.deepEqual(
          messages.map((m) => [m.kind, text(m).split('\r\n')[0]]),
          [
            ['request', 'GET /a HTTP/1.1'],
            ['response', 'HTTP/1.1 200 OK'],
            ['request', 'GET /b HTTP/1.1'],
            ['response', 'HTTP/1.1 200 OK'],
          ],
        );
        assert.equal(counters['non-http'], 0);
        assert.equal(counters.unpaired, 0);
        // The connection part of every id is the client's port, the server's port and the client's address.
        const connection = connectionIdOf(clientPort, SERVER_PORT, CLIENT);
        for (const m of messages) assert.equal(m.id.slice(0, 16), connection);
      });
    }
  }
}

test('a capture that starts with a response: the status line tells the server side', { timeout: 5_000 }, () => {
  const { feed, messages, counters } = makeTracker(true, 2000, ANY_PORT);
  const clientPort = 1500; // below the server's: the port guess would get it backwards
  feed('response', 5001, OK('early'), TCP_ACK, clientPort, 1, 1001);
  feed('request', 1001, GET('/next'), TCP_ACK, clientPort, 1, 5001 + OK('early').length);
  feed('response', 5001 + OK('early').length, OK('next'), TCP_ACK, clientPort, 1, 1001 + GET('/next').length);
  assert.deepEqual(
    messages.map((m) => [m.kind, text(m).split('\r\n').pop()]),
    [
      ['request', ''],
      ['response', 'next'],
    ],
  );
  assert.equal(counters.unpaired, 1, 'the answer to a request before the capture has nothing to pair with');
});

test('mid-message bytes before the first start line are dropped, not taken as the direction', { timeout: 5_000 }, () => {
  const { feed, messages, counters } = makeTracker(true, 2000, ANY_PORT);
  const clientPort = 1500;
  feed('request', 900, 'tail of an earlier body', TCP_ACK, clientPort, 1, 5001);
  feed('request', 1001, GET('/x'), TCP_ACK, clientPort, 1, 5001);
  feed('response', 5001, OK('x'), TCP_ACK, clientPort, 1, 1001 + GET('/x').length);
  assert.deepEqual(
    messages.map((m) => m.kind),
    ['request', 'response'],
  );
  assert.equal(counters['non-http'], 0);
});

test('with nothing telling the direction, the lower port is the server and the held bytes are kept', { timeout: 5_000 }, () => {
  const { feed, counters, tracker, now } = makeTracker(true, 1000, ANY_PORT);
  feed('request', 1, 'binary junk', TCP_ACK, 40000, 1, 1);
  assert.equal(tracker.connectionCount, 1);
  tracker.sweep(now() + 1500);
  assert.equal(counters['non-http'], 1, 'decided by port: the client side is not HTTP');
});

test('ids: the ack of the request, shared by its response; keep-alive exchanges share the connection part', { timeout: 5_000 }, () => {
  const { feed, messages } = makeTracker(true, 2000, ANY_PORT);
  exchange(feed, 40000, ['/a', '/b'], true);
  const [a, aResponse, b, bResponse] = messages;
  assert.equal(a!.id, connectionIdOf(40000, SERVER_PORT, CLIENT) + (5001).toString(16).padStart(8, '0'));
  assert.equal(aResponse!.id, a!.id);
  assert.equal(b!.id, connectionIdOf(40000, SERVER_PORT, CLIENT) + (5001 + OK('/a').length).toString(16).padStart(8, '0'));
  assert.equal(bResponse!.id, b!.id);
});

test('pipelined requests with the same ack get distinct ids (ack, ack + 1), each shared by its response', { timeout: 5_000 }, () => {
  const { feed, messages } = makeTracker();
  feed('request', 1000, '', TCP_SYN);
  feed('request', 1001, GET('/1') + GET('/2'), TCP_ACK, 40000, 1, 0xffffffff);
  feed('request', 1001 + 2 * GET('/1').length, GET('/3'), TCP_ACK, 40000, 1, 0xffffffff);
  feed('response', 0xffffffff, OK('1') + OK('2') + OK('3'), TCP_ACK, 40000, 1, 1001 + 3 * GET('/1').length);
  const requests = messages.filter((m) => m.kind === 'request').map((m) => m.id.slice(16));
  assert.deepEqual(requests, ['ffffffff', '00000000', '00000001'], 'one past the last, wrapping at 2^32');
  const responses = messages.filter((m) => m.kind === 'response');
  assert.deepEqual(
    responses.map((m) => [m.id.slice(16), text(m).slice(-1)]),
    [
      ['ffffffff', '1'],
      ['00000000', '2'],
      ['00000001', '3'],
    ],
  );
});

test('an IPv6 client gets the hash of its address in the connection part of the id', { timeout: 5_000 }, () => {
  const { tracker, messages } = makeTracker(true, 2000, ANY_PORT);
  const client = '20010db8000000000000000000000001';
  const server = '20010db8000000000000000000000002';
  const segment = (fromClient: boolean, seq: number, ack: number, payload: string) => ({
    src: fromClient ? client : server,
    dst: fromClient ? server : client,
    srcPort: fromClient ? 1500 : 8443,
    dstPort: fromClient ? 8443 : 1500,
    seq,
    ack,
    flags: TCP_ACK,
    payload: Buffer.from(payload, 'latin1'),
    missingBytes: 0,
  });
  tracker.segment(segment(true, 1, 77, GET('/v6')), 1_700_000_000, 0);
  tracker.segment(segment(false, 77, 1 + GET('/v6').length, OK('v6')), 1_700_000_000, 1000);
  assert.deepEqual(
    messages.map((m) => m.kind),
    ['request', 'response'],
  );
  assert.equal(messages[0]!.id, connectionIdOf(1500, 8443, '2001:db8::1') + '0000004d');
  assert.equal(messages[1]!.id, messages[0]!.id);
});
