import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { payloadView } from '../src/payload-view.js';

test('a payload view is a Buffer over its range of the ArrayBuffer, in every way outputs use one', { timeout: 5000 }, () => {
  const whole = Buffer.from('xxGET / HTTP/1.1\r\nHost: a\r\n\r\nyy', 'latin1');
  const view = payloadView(whole.buffer as ArrayBuffer, whole.byteOffset + 2, whole.length - 4);
  assert.equal(Buffer.isBuffer(view), true);
  assert.equal(view instanceof Buffer, true);
  assert.equal(view.constructor, Buffer);
  assert.equal(view.toString('latin1'), 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.equal(view.indexOf('Host'), 16);
  assert.equal(view.equals(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n')), true);
  assert.equal(Buffer.concat([view, view]).length, 2 * view.length);
  assert.deepEqual(view.toJSON().data.slice(0, 3), [71, 69, 84]);
  assert.match(inspect(view), /^<Buffer 47 45 54/);
  // Its parts are Node's own Buffers, sharing the bytes.
  const part = view.subarray(0, 3);
  assert.equal(Object.getPrototypeOf(part), Buffer.prototype);
  assert.equal(part.toString(), 'GET');
  assert.equal(view.slice(4, 5).toString(), '/');
  whole[2] = 0x50; // 'P'
  assert.equal(part.toString(), 'PET');
  assert.throws(() => payloadView(whole.buffer as ArrayBuffer, whole.byteOffset, whole.buffer.byteLength + 1), RangeError);
});
