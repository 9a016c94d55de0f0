import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dechunk } from '../src/dechunk.js';

test('chunks are joined in order and the last chunk marks the body complete', () => {
  const r = dechunk(Buffer.from('3\r\nabc\r\na\r\n0123456789\r\n0\r\n\r\n'));
  assert.equal(r?.body.toString(), 'abc0123456789');
  assert.equal(r?.isComplete, true);
});

test('upper-case hex sizes and chunk extensions are understood', () => {
  assert.equal(dechunk(Buffer.from('A;name=value\r\n0123456789\r\n0\r\n\r\n'))?.body.toString(), '0123456789');
});

test('a recording that stops mid-chunk yields what it has, marked incomplete', () => {
  const r = dechunk(Buffer.from('5\r\nhello\r\n5\r\nwor'));
  assert.equal(r?.body.toString(), 'hellowor');
  assert.equal(r?.isComplete, false);
});

test('a size line that is not hexadecimal is rejected', () => {
  assert.equal(dechunk(Buffer.from('xyz\r\nabc\r\n0\r\n\r\n')), undefined);
  assert.equal(dechunk(Buffer.from('3x\r\nabc\r\n0\r\n\r\n')), undefined);
});

test('decoding starts at the given offset', () => {
  assert.equal(dechunk(Buffer.from('HEAD2\r\nok\r\n0\r\n\r\n'), 4)?.body.toString(), 'ok');
});

test('the trailer section after the last chunk is located, not parsed (gRPC status trailers)', () => {
  const bytes = Buffer.from('2\r\nok\r\n0\r\ngrpc-status: 14\r\n\r\n');
  const r = dechunk(bytes);
  assert.equal(r?.trailerOffset, 10);
  assert.equal(bytes.subarray(r!.trailerOffset).toString(), 'grpc-status: 14\r\n\r\n');
  assert.equal(dechunk(Buffer.from('2\r\nok\r\n'))?.trailerOffset, undefined);
});
