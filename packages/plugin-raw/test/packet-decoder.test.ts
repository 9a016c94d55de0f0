import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketDecoder, formatAddress, TCP_SYN } from '../src/packet-decoder.js';
import { LINKTYPE } from '../src/link-types.js';
import { bsdLoopback, ethernet, ipv4Packet, ipv6Packet, linuxCooked, tcpBytes } from './craft.js';

const spec = { src: '192.168.1.10', dst: '10.1.2.3', srcPort: 51000, dstPort: 8080, seq: 4_000_000_000, payload: 'GET / HTTP/1.1\r\n\r\n' };

function decodeOne(linkType: number, frame: Uint8Array) {
  const d = new PacketDecoder();
  const result = d.decode(linkType, frame, 0);
  return { result, s: d.segment };
}

function assertSegment(linkType: number, frame: Uint8Array): void {
  const { result, s } = decodeOne(linkType, frame);
  assert.equal(result, 'tcp');
  assert.equal(formatAddress(s.src), '192.168.1.10');
  assert.equal(formatAddress(s.dst), '10.1.2.3');
  assert.equal(s.srcPort, 51000);
  assert.equal(s.dstPort, 8080);
  assert.equal(s.seq, 4_000_000_000);
  assert.equal(Buffer.from(s.payload).toString(), 'GET / HTTP/1.1\r\n\r\n');
}

test('decodes TCP over IPv4 on every supported link layer', { timeout: 10_000 }, () => {
  const ip = ipv4Packet(spec);
  assertSegment(LINKTYPE.ETHERNET, ethernet(ip));
  assertSegment(LINKTYPE.ETHERNET, ethernet(ip, { vlanIds: [100] }));
  assertSegment(LINKTYPE.ETHERNET, ethernet(ip, { vlanIds: [100, 200] }));
  assertSegment(LINKTYPE.LINUX_SLL, linuxCooked(ip, 1));
  assertSegment(LINKTYPE.LINUX_SLL2, linuxCooked(ip, 2));
  assertSegment(LINKTYPE.NULL, bsdLoopback(ip, true));
  assertSegment(LINKTYPE.NULL, bsdLoopback(ip, false));
  assertSegment(LINKTYPE.RAW, ip);
  assertSegment(LINKTYPE.IPV4, ip);
});

test('ignores Ethernet padding after a short IP datagram', { timeout: 10_000 }, () => {
  const ip = ipv4Packet({ ...spec, payload: 'x' });
  const { result, s } = decodeOne(LINKTYPE.ETHERNET, ethernet(ip, { padTo: 80 }));
  assert.equal(result, 'tcp');
  assert.equal(s.payload.length, 1);
});

test('decodes TCP over IPv6 and formats the addresses', { timeout: 10_000 }, () => {
  const { result, s } = decodeOne(LINKTYPE.ETHERNET, ethernet(ipv6Packet({ ...spec, src: 'fd00::2', dst: '::1' })));
  assert.equal(result, 'tcp');
  assert.equal(formatAddress(s.src), 'fd00::2');
  assert.equal(formatAddress(s.dst), '::1');
  assert.equal(s.dstPort, 8080);
  assert.equal(Buffer.from(s.payload).toString(), spec.payload);
});

test('reassembles a fragmented IPv4 datagram whatever the fragment order', { timeout: 10_000 }, () => {
  const body = 'POST /x HTTP/1.1\r\nContent-Length: 40\r\n\r\n' + 'y'.repeat(40);
  const tcp = tcpBytes({ ...spec, payload: body });
  const cut = [0, 24, 48, tcp.length];
  const fragments = cut
    .slice(0, -1)
    .map((from, i) => ipv4Packet(spec, { id: 7, offsetBytes: from, more: i < cut.length - 2, data: tcp.subarray(from, cut[i + 1]) }));
  for (const order of [
    [0, 1, 2],
    [2, 0, 1],
    [1, 2, 0],
  ]) {
    const d = new PacketDecoder();
    const results = order.map((i) => d.decode(LINKTYPE.RAW, fragments[i]!, 0));
    assert.deepEqual(results, ['fragment', 'fragment', 'tcp']);
    assert.equal(Buffer.from(d.segment.payload).toString(), body);
    assert.equal(d.defragmenter.size, 0);
  }
});

test('drops fragments whose datagram never completes after the expiry', { timeout: 10_000 }, () => {
  const d = new PacketDecoder(1000);
  const tcp = tcpBytes({ ...spec, payload: 'z'.repeat(64) });
  d.decode(LINKTYPE.RAW, ipv4Packet(spec, { id: 9, offsetBytes: 0, more: true, data: tcp.subarray(0, 32) }), 0);
  assert.equal(d.defragmenter.size, 1);
  d.defragmenter.sweep(5000);
  assert.equal(d.defragmenter.size, 0);
  assert.equal(d.defragmenter.expired, 1);
});

test('tells non-TCP and malformed frames apart from TCP', { timeout: 10_000 }, () => {
  const udp = ipv4Packet(spec);
  udp[9] = 17;
  assert.equal(decodeOne(LINKTYPE.ETHERNET, ethernet(udp)).result, 'not-tcp');
  assert.equal(decodeOne(LINKTYPE.ETHERNET, ethernet(ipv4Packet(spec), { etherType: 0x0806 })).result, 'not-tcp');
  assert.equal(decodeOne(LINKTYPE.ETHERNET, new Uint8Array(10)).result, 'malformed');
  assert.equal(decodeOne(LINKTYPE.ETHERNET, ethernet(ipv4Packet(spec)).subarray(0, 30)).result, 'malformed');
  assert.equal(decodeOne(147, new Uint8Array(60)).result, 'unsupported-link');
});

test('reports how many payload bytes a snaplen cut off', { timeout: 10_000 }, () => {
  const frame = ethernet(ipv4Packet({ ...spec, payload: 'a'.repeat(100) }));
  const { result, s } = decodeOne(LINKTYPE.ETHERNET, frame.subarray(0, frame.length - 30));
  assert.equal(result, 'tcp');
  assert.equal(s.payload.length, 70);
  assert.equal(s.missingBytes, 30);
});

test('reads the TCP flags', { timeout: 10_000 }, () => {
  const { s } = decodeOne(LINKTYPE.RAW, ipv4Packet({ ...spec, flags: TCP_SYN, payload: '' }));
  assert.equal(s.flags, TCP_SYN);
  assert.equal(s.payload.length, 0);
});
