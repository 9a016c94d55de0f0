import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectionIdOf, messageIdOf, type Message } from '@reprise/core';
import { newCounters } from '../src/capture-counters.js';
import { DecryptedStreams } from '../src/decrypted-streams.js';
import { HttpTracker } from '../src/http-tracker.js';
import { parseTsharkLine, TSHARK_FIELDS } from '../src/tshark-fields.js';

/** A line as tshark prints it for TSHARK_FIELDS (tab-separated, repeated values joined by commas). */
function line(fields: Partial<Record<(typeof TSHARK_FIELDS)[number], string>>): string {
  return TSHARK_FIELDS.map((name) => fields[name] ?? '').join('\t');
}

const base = {
  'frame.time_epoch': '1795795186.413346680',
  'tcp.stream': '0',
  'ip.src': '127.0.0.1',
  'ip.dst': '127.0.0.1',
  'tcp.flags': '0x0018',
};
const toServer = { ...base, 'tcp.srcport': '51296', 'tcp.dstport': '8443' };
const toClient = { ...base, 'tcp.srcport': '8443', 'tcp.dstport': '51296' };

test('a decrypted TLS record line gives its bytes, connection, ports and nanosecond time', { timeout: 5_000 }, () => {
  const hex = Buffer.from('GET / HTTP/1.1\r\n').toString('hex');
  const p = parseTsharkLine(
    line({ ...toServer, 'tls.record.length': '40', 'tls.record.content_type': '23', 'data.data': `${hex.slice(0, 10)},${hex.slice(10)}` }),
  )!;
  assert.equal(Buffer.from(p.data).toString(), 'GET / HTTP/1.1\r\n', 'repeated data fields are joined in order');
  assert.deepEqual(
    [p.seconds, p.nanoseconds, p.stream, p.src, p.srcPort, p.dstPort, p.flags],
    [1795795186, 413346680, 0, '127.0.0.1', 51296, 8443, 0x18],
  );
  assert.equal(p.isTls, true);
  assert.equal(p.isUndecrypted, false);
  assert.equal(parseTsharkLine(line({ ...toServer, 'frame.time_epoch': '1795795186.4' }))!.nanoseconds, 400_000_000);
});

test('records tshark could not decrypt are told apart: TLS 1.3 (no inner content type) and TLS 1.2 (type 23, no data)', {
  timeout: 5_000,
}, () => {
  // TLS 1.3 without keys: the ServerHello and CCS are clear, the four encrypted records have no content type.
  assert.equal(
    parseTsharkLine(line({ ...toClient, 'tls.record.length': '122,1,32,811,281,69', 'tls.record.content_type': '22,20' }))!.isUndecrypted,
    true,
  );
  // With keys the same records have their inner types.
  assert.equal(
    parseTsharkLine(line({ ...toClient, 'tls.record.length': '122,1,32,811,281,69', 'tls.record.content_type': '22,20,22,22,22,22' }))!
      .isUndecrypted,
    false,
  );
  assert.equal(parseTsharkLine(line({ ...toServer, 'tls.record.length': '81', 'tls.record.content_type': '23' }))!.isUndecrypted, true);
  const clear = parseTsharkLine(line({ ...toServer, 'data.data': '4745' }))!;
  assert.deepEqual([clear.isTls, clear.isUndecrypted, clear.data.length], [false, false, 2]);
  assert.equal(parseTsharkLine('Running as user "root"'), undefined);
  assert.equal(parseTsharkLine(''), undefined);
});

test('decrypted streams become paired messages; a connection without keys is counted once and emits nothing', { timeout: 5_000 }, () => {
  const messages: Message[] = [];
  const counters = newCounters();
  const tracker = new HttpTracker({ ports: new Set([8443]), trackResponse: true, realipHeader: '', expireMs: 2000 }, counters, (m) =>
    messages.push(m),
  );
  const streams = new DecryptedStreams(tracker, new Set([8443]), counters);
  const hex = (s: string) => Buffer.from(s, 'latin1').toString('hex');
  const tls = { 'tls.record.length': '50', 'tls.record.content_type': '23' };
  streams.packet(
    parseTsharkLine(line({ ...toServer, ...tls, 'tcp.ack_raw': '3735928559', 'data.data': hex('GET /a HTTP/1.1\r\nHost: x\r\n\r\n') }))!,
  );
  streams.packet(parseTsharkLine(line({ ...toClient, ...tls, 'data.data': hex('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok') }))!);
  // Connection 1 has no keys: two undecrypted records, one count.
  streams.packet(parseTsharkLine(line({ ...toServer, 'tcp.stream': '1', ...tls }))!);
  streams.packet(parseTsharkLine(line({ ...toClient, 'tcp.stream': '1', ...tls }))!);
  // FINs both ways end connection 1; a late alert after them counts nothing more.
  streams.packet(parseTsharkLine(line({ ...toServer, 'tcp.stream': '1', 'tcp.flags': '0x0011' }))!);
  streams.packet(parseTsharkLine(line({ ...toClient, 'tcp.stream': '1', 'tcp.flags': '0x0011' }))!);
  streams.packet(parseTsharkLine(line({ ...toClient, 'tcp.stream': '1', 'tls.record.length': '19' }))!);
  streams.finish();
  assert.deepEqual(
    messages.map((m) => `${m.kind} ${m.protocol ?? 'http1'}`),
    ['request http1', 'response http1'],
  );
  assert.equal(messages[0]!.id, messages[1]!.id);
  // GoReplay's layout: the connection, then the raw ack of the request's first segment.
  assert.equal(messages[0]!.id, messageIdOf(connectionIdOf(51296, 8443, '127.0.0.1'), 3735928559));
  assert.equal(counters['tls-no-keys'], 1);
});
