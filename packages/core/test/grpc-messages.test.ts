import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, gzipSync } from 'node:zlib';
import { RepriseError } from '../src/errors.js';
import { decompressGrpcMessage, GrpcMessageSplitter, readGrpcMessages, splitGrpcMessages } from '../src/grpc-messages.js';

/** One length-prefixed message: flag, 4-byte big-endian length, bytes. */
function frame(data: Uint8Array | string, compressed = false, length?: number): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
  const prefix = Buffer.alloc(5);
  prefix[0] = compressed ? 1 : 0;
  prefix.writeUInt32BE(length ?? bytes.length, 1);
  return Buffer.concat([prefix, bytes]);
}

const texts = (messages: Array<{ data: Uint8Array }>) => messages.map((m) => Buffer.from(m.data).toString());

test('a unary body is one message; a streaming body several, each with its offset', () => {
  assert.deepEqual(texts(splitGrpcMessages(frame('hello')).messages), ['hello']);
  const body = Buffer.concat([frame('one'), frame(''), frame('three')]);
  const split = splitGrpcMessages(body);
  assert.equal(split.error, undefined);
  assert.deepEqual(texts(split.messages), ['one', '', 'three']);
  assert.deepEqual(
    split.messages.map((m) => m.offset),
    [0, 8, 13],
  );
  assert.deepEqual(splitGrpcMessages(new Uint8Array(0)), { messages: [] });
});

test('a message split across chunks anywhere, prefix included, comes out whole and once', () => {
  const body = Buffer.concat([frame('first message'), frame(Buffer.alloc(300, 7)), frame('last')]);
  for (const size of [1, 2, 3, 5, 7, 64, body.length]) {
    const splitter = new GrpcMessageSplitter();
    const out = [];
    for (let at = 0; at < body.length; at += size) {
      const split = splitter.push(body.subarray(at, at + size));
      assert.equal(split.error, undefined);
      out.push(...split.messages);
    }
    assert.equal(splitter.end(), undefined);
    assert.deepEqual(
      out.map((m) => m.data.length),
      [13, 300, 4],
      `chunks of ${size}`,
    );
    assert.deepEqual(Buffer.from(out[1]!.data), Buffer.alloc(300, 7));
    assert.equal(out[2]!.offset, 18 + 305);
  }
});

test('a truncated body is an error naming the byte offset, the messages before it kept', () => {
  const truncatedMessage = splitGrpcMessages(Buffer.concat([frame('ok'), frame('complete'), frame('cut short').subarray(0, 9)]));
  assert.deepEqual(texts(truncatedMessage.messages), ['ok', 'complete']);
  assert.ok(truncatedMessage.error instanceof RepriseError);
  assert.equal(truncatedMessage.error.code, 'RPR_GRPC_FRAMING');
  assert.match(truncatedMessage.error.message, /truncated message at byte 20: 4 of the 9 bytes its prefix announces/);

  const truncatedPrefix = splitGrpcMessages(Buffer.concat([frame('ok'), Buffer.from([0, 0])]));
  assert.deepEqual(texts(truncatedPrefix.messages), ['ok']);
  assert.match(truncatedPrefix.error!.message, /truncated length prefix at byte 7: 2 of 5 bytes/);
});

test('an oversized length or a flag other than 0/1 stops the split there, keeping what came before', () => {
  const oversized = splitGrpcMessages(Buffer.concat([frame('ok'), frame('x', false, 5 * 1024 * 1024)]));
  assert.deepEqual(texts(oversized.messages), ['ok']);
  assert.match(oversized.error!.message, /a length prefix of 5242880 bytes, over the 4194304-byte limit at byte 7/);
  assert.match(splitGrpcMessages(frame('abcdef'), 4).error!.message, /6 bytes, over the 4-byte limit at byte 0/);

  const badFlag = Buffer.concat([frame('ok'), frame('zz')]);
  badFlag[7] = 0x7b; // a JSON body sent as gRPC
  const split = splitGrpcMessages(badFlag);
  assert.deepEqual(texts(split.messages), ['ok']);
  assert.match(split.error!.message, /compressed flag 123 \(must be 0 or 1\) at byte 7/);

  // The splitter stays stopped: later chunks add nothing and repeat the error.
  const splitter = new GrpcMessageSplitter();
  assert.ok(splitter.push(badFlag).error);
  assert.deepEqual(splitter.push(frame('later')).messages, []);
  assert.ok(splitter.end());
});

test('compressed messages are decoded per grpc-encoding gzip or deflate; identity ones pass through', () => {
  const body = Buffer.concat([frame(gzipSync('zipped'), true), frame('plain')]);
  assert.deepEqual(texts(readGrpcMessages(body, 'gzip').messages.map((data) => ({ data }))), ['zipped', 'plain']);
  const deflated = readGrpcMessages(frame(deflateSync('deflated'), true), 'Deflate');
  assert.equal(Buffer.from(deflated.messages[0]!).toString(), 'deflated');
  assert.equal(deflated.error, undefined);
  assert.equal(Buffer.from(readGrpcMessages(frame('id'), undefined).messages[0]!).toString(), 'id');
});

test('an unknown grpc-encoding is reported, not guessed; the messages before it are kept', () => {
  const body = Buffer.concat([frame('plain'), frame(Buffer.from('snappy bytes'), true)]);
  const read = readGrpcMessages(body, 'snappy');
  assert.deepEqual(
    read.messages.map((m) => Buffer.from(m).toString()),
    ['plain'],
  );
  assert.equal(read.error?.code, 'RPR_GRPC_FRAMING');
  assert.match(read.error!.message, /the message at byte 10 is compressed with grpc-encoding "snappy", which is not decoded/);
  const message = { compressed: true, data: Buffer.from('x'), offset: 0 };
  assert.throws(() => decompressGrpcMessage(message, undefined), /flagged compressed but grpc-encoding is identity/);
  assert.throws(() => decompressGrpcMessage(message, 'gzip'), /the message at byte 0 does not decompress as gzip/);
});

test('a compressed message that inflates past the size limit is an error, not a memory spike', () => {
  const bomb = { compressed: true, data: gzipSync(Buffer.alloc(10_000)), offset: 0 };
  assert.throws(() => decompressGrpcMessage(bomb, 'gzip', 1000), /does not decompress as gzip/);
  assert.equal(decompressGrpcMessage(bomb, 'gzip', 20_000).length, 10_000);
});
