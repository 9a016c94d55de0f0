import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PcapReader, PcapFormatError, type PcapPacket } from '../src/pcap-reader.js';
import { LINKTYPE } from '../src/link-types.js';
import { pcapFile, pcapngFile, toPcapng, type CapturedFrame } from './craft.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

interface Seen {
  linkType: number;
  seconds: number;
  nanoseconds: number;
  data: Uint8Array;
  originalLength: number;
}

function readAll(bytes: Uint8Array, chunkSize = bytes.length): { packets: Seen[]; reader: PcapReader } {
  const packets: Seen[] = [];
  const reader = new PcapReader((p: PcapPacket) => packets.push({ ...p, data: Uint8Array.from(p.data) }));
  for (let i = 0; i < bytes.length; i += chunkSize) reader.push(bytes.subarray(i, i + chunkSize));
  return { packets, reader };
}

const frames: CapturedFrame[] = [
  { seconds: 1_700_000_000, nanoseconds: 123_456_789, frame: Uint8Array.from([1, 2, 3, 4, 5]) },
  { seconds: 1_700_000_001, nanoseconds: 999_999_999, frame: Uint8Array.from([9, 8, 7]) },
];

test('reads every packet of a tcpdump capture with microsecond timestamps', { timeout: 10_000 }, () => {
  const { packets, reader } = readAll(fixture('lo-ethernet.pcap'));
  assert.equal(reader.format, 'pcap');
  assert.equal(packets.length, 56);
  assert.ok(packets.every((p) => p.linkType === LINKTYPE.ETHERNET));
  assert.ok(
    packets.every((p) => p.nanoseconds % 1000 === 0),
    'microsecond files give whole microseconds',
  );
  assert.ok(packets[0]!.seconds > 1_600_000_000);
  assert.equal(reader.hasTrailingBytes, false);
});

test('keeps nanosecond timestamps from a capture made with --time-stamp-precision nano', { timeout: 10_000 }, () => {
  const { packets } = readAll(fixture('lo-ethernet-nano.pcap'));
  assert.equal(packets.length, 56);
  assert.ok(
    packets.some((p) => p.nanoseconds % 1000 !== 0),
    'some timestamps have sub-microsecond digits',
  );
});

test('reports the link type of captures on the any device (cooked v1 and v2)', { timeout: 10_000 }, () => {
  assert.equal(readAll(fixture('any-sll.pcap')).packets[0]!.linkType, LINKTYPE.LINUX_SLL);
  assert.equal(readAll(fixture('any-sll2.pcap')).packets[0]!.linkType, LINKTYPE.LINUX_SLL2);
});

test('gives the same packets whatever the chunk sizes the file arrives in', { timeout: 10_000 }, () => {
  const bytes = fixture('lo-ethernet.pcap');
  const whole = readAll(bytes).packets;
  for (const size of [1, 7, 100, 4096]) {
    const chunked = readAll(bytes, size).packets;
    assert.deepEqual(chunked, whole, `chunks of ${size} bytes`);
  }
});

test('reads big-endian pcap files and both timestamp precisions', { timeout: 10_000 }, () => {
  for (const opts of [{ bigEndian: true }, { bigEndian: true, nano: true }, { nano: true }, {}]) {
    const { packets } = readAll(pcapFile(frames, LINKTYPE.RAW, opts));
    assert.equal(packets.length, 2);
    assert.equal(packets[0]!.linkType, LINKTYPE.RAW);
    assert.equal(packets[0]!.seconds, 1_700_000_000);
    assert.equal(packets[0]!.nanoseconds, opts.nano ? 123_456_789 : 123_456_000);
    assert.deepEqual([...packets[1]!.data], [9, 8, 7]);
  }
});

test('reads pcapng files with microsecond and nanosecond resolution', { timeout: 10_000 }, () => {
  const micro = readAll(pcapngFile(frames, LINKTYPE.ETHERNET, 6));
  assert.equal(micro.reader.format, 'pcapng');
  assert.equal(micro.packets.length, 2);
  assert.equal(micro.packets[0]!.nanoseconds, 123_456_000);
  const nano = readAll(pcapngFile(frames, LINKTYPE.ETHERNET, 9), 3);
  assert.equal(nano.packets[0]!.seconds, 1_700_000_000);
  assert.equal(nano.packets[0]!.nanoseconds, 123_456_789);
  assert.equal(nano.packets[1]!.nanoseconds, 999_999_999);
  assert.deepEqual([...nano.packets[0]!.data], [1, 2, 3, 4, 5]);
});

test('a pcapng conversion of a tcpdump capture holds the same packets', { timeout: 10_000 }, () => {
  const pcap = readAll(fixture('lo-ethernet-nano.pcap')).packets;
  const ng = readAll(toPcapng(pcap, 9), 1000).packets;
  assert.deepEqual(ng, pcap);
});

test('says when a file is not a capture and when it ends inside a record', { timeout: 10_000 }, () => {
  assert.throws(() => readAll(Buffer.from('GET / HTTP/1.1\r\n\r\nmore bytes here')), PcapFormatError);
  const bytes = fixture('lo-ethernet.pcap');
  const cut = readAll(bytes.subarray(0, bytes.length - 10));
  assert.equal(cut.packets.length, 55);
  assert.equal(cut.reader.hasTrailingBytes, true);
});
