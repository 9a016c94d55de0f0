import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  GorDecoder,
  GOR_SEPARATOR,
  encodeRecord,
  encodeRecords,
  writeRecordInto,
  formatRecordHeader,
  recordByteLength,
  corruptionError,
  type GorDecoded,
  type GorRecord,
  type Message,
} from '@reprise/core';

const FIXTURES = join(import.meta.dirname, '../../../test/fixtures/goreplay');
const fixtureFiles = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.gor'))
  .sort();

function decodeAll(bytes: Uint8Array, chunkBytes = bytes.length || 1): GorDecoded[] {
  const decoder = new GorDecoder();
  const out: GorDecoded[] = [];
  for (let at = 0; at < bytes.length; at += chunkBytes) decoder.push(bytes.subarray(at, at + chunkBytes), out);
  return decoder.end(out);
}

function records(items: GorDecoded[]): GorRecord[] {
  return items.filter((d): d is GorRecord => d.type === 'record');
}

function request(i: number, body = `GET /item/${i} HTTP/1.1\r\nHost: example\r\n\r\n`): Message {
  return {
    kind: 'request',
    id: i.toString(16).padStart(24, '0'),
    timestamp: 1795574173007755756n + BigInt(i) * 1_000_000n,
    latency: 0n,
    payload: Buffer.from(body),
  };
}

test('the fixture files exist (the round-trip tests below depend on them)', { timeout: 5_000 }, () => {
  assert.deepEqual(fixtureFiles, ['goreplay-requests.gor', 'goreplay-with-responses.gor']);
});

for (const name of fixtureFiles) {
  test(`${name} decodes and re-encodes to identical bytes, whatever the chunk size`, { timeout: 10_000 }, () => {
    const original = readFileSync(join(FIXTURES, name));
    const expectedCount = original.toString('utf8').split('\n🐵🙈🙉\n').length - 1;
    for (const chunkBytes of [original.length, 4096, 100, 13, 1]) {
      const decoded = decodeAll(original, chunkBytes);
      assert.equal(decoded.length, expectedCount, `chunk ${chunkBytes}`);
      const messages = records(decoded).map((r) => r.message);
      assert.equal(messages.length, expectedCount, `no corruption with chunk ${chunkBytes}`);
      assert.deepEqual(Buffer.from(encodeRecords(messages)), original, `chunk ${chunkBytes}`);
    }
  });
}

test('decoded fields and offsets match the header lines of a GoReplay file', { timeout: 5_000 }, () => {
  const original = readFileSync(join(FIXTURES, 'goreplay-with-responses.gor'));
  const decoded = records(decodeAll(original, 64));
  assert.equal(decoded.length, 10);
  for (const { message, offset } of decoded) {
    const line = original.toString('latin1', offset, original.indexOf(10, offset));
    assert.equal(line, `${message.kind === 'request' ? 1 : 2} ${message.id} ${message.timestamp} ${message.latency}`);
    assert.match(message.id, /^[0-9a-f]{24}$/);
  }
  const kinds = decoded.map((r) => r.message.kind);
  assert.equal(kinds.filter((k) => k === 'response').length, 5);
  // A response shares its request's id.
  const requestIds = new Set(decoded.filter((r) => r.message.kind === 'request').map((r) => r.message.id));
  for (const r of decoded) if (r.message.kind === 'response') assert.ok(requestIds.has(r.message.id));
  assert.equal(Buffer.from(decoded[0]!.message.payload).toString('latin1', 0, 4), 'GET ');
});

test('encodeRecord writes the header line, the payload and the separator', { timeout: 5_000 }, () => {
  const message: Message = {
    kind: 'replayed-response',
    id: 'abcdef0123456789abcdef01',
    timestamp: 1795574173007755756n,
    latency: 1234567n,
    payload: Buffer.from('HTTP/1.1 200 OK\r\n\r\n'),
  };
  assert.equal(
    Buffer.from(encodeRecord(message)).toString('utf8'),
    '3 abcdef0123456789abcdef01 1795574173007755756 1234567\nHTTP/1.1 200 OK\r\n\r\n\n🐵🙈🙉\n',
  );
  const [back] = records(decodeAll(encodeRecord(message)));
  assert.deepEqual(
    { ...back!.message, payload: Buffer.from(back!.message.payload) },
    { ...message, payload: Buffer.from(message.payload) },
  );
});

test('a record with an empty payload round-trips', { timeout: 5_000 }, () => {
  const bytes = encodeRecords([request(1, ''), request(2)]);
  const decoded = records(decodeAll(bytes, 7));
  assert.equal(decoded.length, 2);
  assert.equal(decoded[0]!.message.payload.length, 0);
  assert.deepEqual(Buffer.from(encodeRecords(decoded.map((d) => d.message))), Buffer.from(bytes));
});

test("a payload holding the separator's pieces but not the whole separator is kept intact", { timeout: 5_000 }, () => {
  const tricky = 'POST / HTTP/1.1\r\n\r\n\n🐵🙈\n🐵🙈🙉 \n🐵🙈🙉\r\n🐵🙈🙉🙉\n\xf0';
  const bytes = encodeRecords([request(1, tricky), request(2)]);
  for (const chunk of [bytes.length, 5, 1]) {
    const decoded = records(decodeAll(bytes, chunk));
    assert.equal(decoded.length, 2);
    assert.equal(Buffer.from(decoded[0]!.message.payload).toString('utf8'), tricky);
  }
});

test('a corrupt header mid-file is reported with its byte offset and every other record is delivered', { timeout: 5_000 }, () => {
  const corruptHeaders = [
    '4 00000000000000000000000a 1795574173007755756 0', // unknown type
    '1 00000000000000000000000A 1795574173007755756 0', // uppercase hex
    '1 0000000000000000000000a 1795574173007755756 0', // 23 hex characters
    '1 00000000000000000000000a 17955741730077557x6 0', // timestamp not decimal
    '1 00000000000000000000000a 1795574173007755756 -1', // latency not decimal
    'GET / HTTP/1.1', // no header line at all
    '1 00000000000000000000000a 1795574173007755756 0 h3', // unknown protocol token
    '1 00000000000000000000000a 1795574173007755756 0 H2C', // protocol tokens are lowercase
    '1 00000000000000000000000a 1795574173007755756 0 ', // empty 5th field
    '1 00000000000000000000000a 1795574173007755756 0 h2c x', // a 6th field
  ];
  for (const header of corruptHeaders) {
    const before = encodeRecords([request(1), request(2)]);
    const bad = Buffer.concat([Buffer.from(header + '\nGET /x HTTP/1.1\r\n\r\n'), GOR_SEPARATOR]);
    const after = encodeRecords([request(3), request(4)]);
    const bytes = Buffer.concat([before, bad, after]);
    for (const chunk of [bytes.length, 9, 1]) {
      const decoded = decodeAll(bytes, chunk);
      assert.deepEqual(
        decoded.map((d) => (d.type === 'record' ? d.message.id.slice(-1) : `corrupt@${d.offset}`)),
        ['1', '2', `corrupt@${before.length}`, '3', '4'],
        `${header} (chunk ${chunk})`,
      );
      const corrupt = decoded[2]!;
      assert.equal(corrupt.type === 'corrupt' && corrupt.lengthBytes, bad.length);
    }
  }
});

test('a truncated last record is reported at its offset after the earlier records', { timeout: 5_000 }, () => {
  const whole = encodeRecords([request(1), request(2), request(3)]);
  const firstTwo = encodeRecords([request(1), request(2)]).length;
  for (const cut of [firstTwo + 1, whole.length - 20, whole.length - 1]) {
    const decoded = decodeAll(whole.subarray(0, cut), 11);
    assert.equal(decoded.length, 3, `cut at ${cut}`);
    assert.deepEqual(
      records(decoded).map((r) => r.offset),
      [0, firstTwo / 2],
    );
    const last = decoded[2]!;
    assert.equal(last.type, 'corrupt');
    assert.equal(last.offset, firstTwo);
    assert.match(last.type === 'corrupt' ? last.reason : '', /truncated/);
    const error = corruptionError(last as Extract<GorDecoded, { type: 'corrupt' }>, { file: 'requests.gor' });
    assert.equal(error.code, 'RPR_GOR_CORRUPT');
    assert.match(error.message, new RegExp(`requests.gor at byte ${firstTwo}`));
  }
});

test('the protocol token is a 5th field on the header line and round-trips', { timeout: 5_000 }, () => {
  const h2c: Message = { ...request(1), protocol: 'h2c' };
  const h2: Message = { ...request(2), kind: 'response', latency: 42n, protocol: 'h2' };
  const bytes = encodeRecords([h2c, request(3), h2]);
  assert.equal(
    Buffer.from(bytes)
      .toString('utf8')
      .split('\n🐵🙈🙉\n')
      .map((r) => r.split('\n')[0])
      .join('|'),
    '1 000000000000000000000001 1795574173008755756 0 h2c|1 000000000000000000000003 1795574173010755756 0|' +
      '2 000000000000000000000002 1795574173009755756 42 h2|',
  );
  for (const chunk of [bytes.length, 3, 1]) {
    const back = records(decodeAll(bytes, chunk)).map((r) => r.message);
    assert.deepEqual(
      back.map((m) => m.protocol),
      ['h2c', undefined, 'h2'],
    );
    assert.equal('protocol' in back[1]!, false, 'an HTTP/1 record has no protocol key');
    assert.deepEqual(Buffer.from(encodeRecords(back)), Buffer.from(bytes));
  }
});

test('a bad protocol token is a corrupt record whose reason names the token', { timeout: 5_000 }, () => {
  const bad = Buffer.concat([Buffer.from('1 00000000000000000000000a 1795574173007755756 0 spdy\nGET / HTTP/1.1\r\n\r\n'), GOR_SEPARATOR]);
  const [corrupt] = decodeAll(bad);
  assert.equal(corrupt!.type, 'corrupt');
  assert.match(corrupt!.type === 'corrupt' ? corrupt!.reason : '', /protocol "spdy" is not h2c or h2/);
});

test('a three-field header from old GoReplay versions is read with latency 0', { timeout: 5_000 }, () => {
  const bytes = Buffer.concat([Buffer.from('1 00000000000000000000000a 1795574173007755756\nGET / HTTP/1.1\r\n\r\n'), GOR_SEPARATOR]);
  const [record] = decodeAll(bytes);
  assert.equal(record!.type, 'record');
  assert.equal((record as GorRecord).message.latency, 0n);
  assert.equal((record as GorRecord).message.timestamp, 1795574173007755756n);
});

test('the decoder keeps at most one incomplete record between chunks', { timeout: 5_000 }, () => {
  const decoder = new GorDecoder();
  const bytes = encodeRecords([request(1), request(2)]);
  const firstLength = encodeRecord(request(1)).length;
  assert.equal(decoder.push(bytes.subarray(0, firstLength + 10)).length, 1);
  assert.equal(decoder.position, firstLength);
  assert.equal(decoder.push(bytes.subarray(firstLength + 10)).length, 1);
  assert.equal(decoder.position, bytes.length);
  assert.equal(decoder.end().length, 0);
});

// The format cannot hold a payload that, between the header's newline and the separator,
// contains the separator (GoReplay has the same limit), so such payloads are not generated.
const isRepresentable = (b: Buffer) => Buffer.concat([Buffer.from('\n'), b, GOR_SEPARATOR]).indexOf(GOR_SEPARATOR) === b.length + 1;
const arbitraryMessage = fc.record(
  {
    kind: fc.constantFrom('request' as const, 'response' as const, 'replayed-response' as const),
    id: fc.uint8Array({ minLength: 12, maxLength: 12 }).map((b) => Buffer.from(b).toString('hex')),
    timestamp: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
    latency: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
    payload: fc
      .uint8Array({ maxLength: 300 })
      .map((b) => Buffer.from(b))
      .filter(isRepresentable),
    protocol: fc.constantFrom('h2c' as const, 'h2' as const),
  },
  { requiredKeys: ['kind', 'id', 'timestamp', 'latency', 'payload'] },
);

test('any messages survive encoding and decoding in arbitrary chunks', { timeout: 60_000 }, () => {
  fc.assert(
    fc.property(fc.array(arbitraryMessage, { maxLength: 20 }), fc.integer({ min: 1, max: 64 }), (messages, chunk) => {
      const bytes = encodeRecords(messages);
      const decoded = decodeAll(bytes, chunk);
      assert.equal(decoded.length, messages.length);
      const back = records(decoded).map((r) => ({ ...r.message, payload: Buffer.from(r.message.payload) }));
      assert.deepEqual(
        back,
        messages.map((m) => ({ ...m })),
      );
    }),
    { numRuns: 300 },
  );
});

test('writeRecordInto writes the string header, payload and separator, at any offset, and nothing when a byte is missing', {
  timeout: 60_000,
}, () => {
  // formatRecordHeader is the header's other form (Kafka sends it as a string): the two must agree.
  const asString = (message: Message) =>
    Buffer.concat([Buffer.from(formatRecordHeader(message), 'latin1'), message.payload, GOR_SEPARATOR]);
  fc.assert(
    fc.property(arbitraryMessage, fc.nat({ max: 16 }), (message, offset) => {
      const expected = asString(message);
      assert.equal(recordByteLength(message), expected.length);
      const target = Buffer.alloc(offset + expected.length, 0xaa);
      assert.equal(writeRecordInto(target, offset, message), target.length);
      assert.deepEqual(target.subarray(offset), expected);
      const short = Buffer.alloc(offset + expected.length - 1, 0xaa);
      assert.equal(writeRecordInto(short, offset, message), -1);
      assert.ok(
        short.every((b) => b === 0xaa),
        'nothing written',
      );
    }),
    { numRuns: 500 },
  );
  // A producer that left latency out gets 0, as formatRecordHeader writes it.
  const sloppy = { ...request(1), latency: undefined } as unknown as Message;
  const target = Buffer.alloc(200);
  const end = writeRecordInto(target, 0, sloppy);
  assert.deepEqual(target.subarray(0, end), asString(sloppy));
  assert.match(target.toString('latin1', 0, 60), /^1 0{23}1 \d+ 0\n/);
});
