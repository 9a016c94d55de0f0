import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpReassembler, seqDiff } from '../src/tcp-reassembler.js';

function makeStream(maxPendingBytes?: number) {
  const events: string[] = [];
  const stream = new TcpReassembler(
    {
      data: (bytes) => events.push(Buffer.from(bytes).toString('latin1')),
      gap: () => events.push('<gap>'),
      end: () => events.push('<end>'),
    },
    maxPendingBytes,
  );
  const send = (seq: number, text: string, isFin = false, nowMs = 0) =>
    stream.segment(seq >>> 0, Buffer.from(text, 'latin1'), isFin, 0, 0, nowMs);
  return { events, stream, send, joined: () => events.filter((e) => !e.startsWith('<')).join('') };
}

test('delivers in-order segments as they come', { timeout: 5_000 }, () => {
  const { events, stream, send } = makeStream();
  stream.syn(999);
  send(1000, 'abc');
  send(1003, 'def');
  assert.deepEqual(events, ['abc', 'def']);
});

test('puts out-of-order segments back in order', { timeout: 5_000 }, () => {
  const { stream, send, joined, events } = makeStream();
  stream.syn(99);
  send(106, 'ghi');
  send(103, 'def');
  assert.deepEqual(events, []);
  send(100, 'abc');
  assert.equal(joined(), 'abcdefghi');
});

test('ignores retransmissions and duplicates, and keeps only the new tail of an overlap', { timeout: 5_000 }, () => {
  const { stream, send, joined } = makeStream();
  stream.syn(99);
  send(100, 'abc');
  send(100, 'abc');
  send(101, 'bcdef');
  send(106, 'gh');
  send(106, 'gh');
  send(104, 'ef');
  assert.equal(joined(), 'abcdefgh');
  assert.equal(stream.retransmissions, 3);
});

test('follows sequence numbers across the 2^32 wrap-around', { timeout: 5_000 }, () => {
  const { stream, send, joined } = makeStream();
  stream.syn(0xfffffffd);
  send(0xfffffffe, 'ab');
  send(3, 'fg');
  send(0, 'cde');
  assert.equal(joined(), 'abcdefg');
  assert.equal(seqDiff(2, 0xfffffffe), 4);
});

test('picks up a connection in the middle when the SYN was not seen', { timeout: 5_000 }, () => {
  const { send, joined } = makeStream();
  send(5000, 'GET / ');
  send(5006, 'HTTP/1.1');
  assert.equal(joined(), 'GET / HTTP/1.1');
});

test('reports a gap when held data waits longer than allowed, then continues after it', { timeout: 5_000 }, () => {
  const { stream, send, events } = makeStream();
  stream.syn(99);
  send(100, 'abc', false, 0);
  send(110, 'xyz', false, 10);
  stream.expirePending(1000, 2000);
  assert.deepEqual(events, ['abc']);
  stream.expirePending(3000, 2000);
  assert.deepEqual(events, ['abc', '<gap>', 'xyz']);
  assert.equal(stream.gaps, 1);
});

test('reports a gap when too much data is held out of order', { timeout: 5_000 }, () => {
  const { stream, send, events } = makeStream(8);
  stream.syn(99);
  send(200, '12345');
  send(205, '6789');
  assert.deepEqual(events, ['<gap>', '12345', '6789']);
});

test('ends at the FIN even when the FIN arrives before the last data', { timeout: 5_000 }, () => {
  const { stream, send, events } = makeStream();
  stream.syn(99);
  send(100, 'abc');
  send(106, 'ghi', true);
  assert.deepEqual(events, ['abc']);
  send(103, 'def');
  assert.deepEqual(events, ['abc', 'def', 'ghi', '<end>']);
  assert.equal(stream.isEnded, true);
});

test('closing with a hole reports the gap before the end', { timeout: 5_000 }, () => {
  const { stream, send, events } = makeStream();
  stream.syn(99);
  send(100, 'abc');
  send(110, 'zzz');
  stream.close(0, 0);
  assert.deepEqual(events, ['abc', '<gap>', 'zzz', '<end>']);
});

test('a segment the capture cut short is a gap at once', { timeout: 5_000 }, () => {
  const { stream, events } = makeStream();
  stream.syn(99);
  stream.segment(100, Buffer.from('abc'), false, 0, 0, 0, 4);
  stream.segment(107, Buffer.from('next'), false, 0, 0, 0);
  assert.deepEqual(events, ['abc', '<gap>', 'next']);
});
