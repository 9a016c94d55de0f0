import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '@reprise/core';
import { canonicalHeaderKey, connectionKey, fromKafkaValue, goJsonStringify, toKafkaRecord } from '../src/kafka-message.js';

const ID = '0fa01f90017f000100000007';
const body = '{"name":"café & <b>"}';
const request: Message = {
  kind: 'request',
  id: ID,
  timestamp: 1795574173000000001n,
  latency: 0n,
  payload: Buffer.from(
    `POST /api/items?x=1&y=<2> HTTP/1.1\r\nHost: example.com\r\ncontent-type: application/json\r\nX-Multi: a\r\nx-multi: b\r\n\r\n${body}`,
    'utf8',
  ),
};

test('the raw format is the .gor header line and the payload, keyed by the connection (first 16 hex digits of the id)', {
  timeout: 5000,
}, () => {
  const record = toKafkaRecord(request, false);
  assert.equal(record.key.toString(), '0fa01f90017f0001');
  assert.deepEqual(record.value, Buffer.concat([Buffer.from(`1 ${ID} 1795574173000000001 0\n`), Buffer.from(request.payload)]));
  const replayed = toKafkaRecord(
    { ...request, kind: 'replayed-response', latency: 1234n, payload: Buffer.from('HTTP/1.1 204 No Content\r\n\r\n') },
    false,
  );
  assert.equal(replayed.value.toString(), `3 ${ID} 1795574173000000001 1234\nHTTP/1.1 204 No Content\r\n\r\n`);
});

test("the JSON format is GoReplay's KafkaMessage as Go's encoding/json writes it", { timeout: 5000 }, () => {
  const json = toKafkaRecord(request, true).value.toString('utf8');
  assert.equal(
    json,
    '{"Req_URL":"/api/items?x=1\\u0026y=\\u003c2\\u003e","Req_Type":"1","Req_ID":"0fa01f90017f000100000007","Req_Ts":"1795574173000000001",' +
      '"Req_Method":"POST","Req_Body":"{\\"name\\":\\"café \\u0026 \\u003cb\\u003e\\"}",' +
      '"Req_Headers":{"Content-Type":"application/json","Host":"example.com","X-Multi":"a, b"}}',
  );
  // Empty body and no headers are left out (omitempty); a response keeps GoReplay's field mapping.
  const response = toKafkaRecord({ ...request, kind: 'response', payload: Buffer.from('HTTP/1.1 200 OK\r\n\r\n') }, true).value.toString();
  assert.equal(response, `{"Req_URL":"200","Req_Type":"2","Req_ID":"${ID}","Req_Ts":"1795574173000000001","Req_Method":"HTTP/1.1"}`);
});

test('Go escaping and canonical header names', { timeout: 5000 }, () => {
  assert.equal(goJsonStringify({ a: '<>&\u2028\u2029\n"' }), '{"a":"\\u003c\\u003e\\u0026\\u2028\\u2029\\n\\""}');
  assert.equal(canonicalHeaderKey('x-forwarded-FOR'), 'X-Forwarded-For');
  assert.equal(canonicalHeaderKey('content-md5'), 'Content-Md5');
  assert.equal(canonicalHeaderKey('bad header'), 'bad header');
  assert.deepEqual(connectionKey('abcdef0123456789ffffffff'), Buffer.from('abcdef0123456789'));
});

test('a raw record reads back as the same message', { timeout: 5000 }, () => {
  const decoded = fromKafkaValue(toKafkaRecord(request, false).value, false);
  assert.deepEqual(
    { ...decoded.message!, payload: Buffer.from(decoded.message!.payload) },
    { ...request, payload: Buffer.from(request.payload) },
  );
});

test('a JSON record is rebuilt into a request as GoReplay does (headers here in sorted order)', { timeout: 5000 }, () => {
  const decoded = fromKafkaValue(toKafkaRecord(request, true).value, true);
  assert.equal(decoded.error, undefined);
  assert.deepEqual(
    { kind: decoded.message!.kind, id: decoded.message!.id, timestamp: decoded.message!.timestamp, latency: decoded.message!.latency },
    { kind: 'request', id: ID, timestamp: 1795574173000000001n, latency: 0n },
  );
  assert.equal(
    Buffer.from(decoded.message!.payload).toString('utf8'),
    `POST /api/items?x=1&y=<2> HTTP/1.1\r\nContent-Type: application/json\r\nHost: example.com\r\nX-Multi: a, b\r\n\r\n${body}`,
  );
});

test('records that are not GoReplay messages are reported with the reason, not thrown', { timeout: 5000 }, () => {
  assert.match(fromKafkaValue(Buffer.from('GET / HTTP/1.1\r\n\r\n'), false).error!, /not a GoReplay message: payload type/);
  assert.match(fromKafkaValue(Buffer.from(`1 ${ID.slice(0, 10)}zzzzzzzzzzzzzz 1 0\nGET /`), false).error!, /id is not 24 lowercase hex/);
  assert.match(fromKafkaValue(Buffer.from('{"Req_Type":'), true).error!, /not JSON/);
  assert.match(fromKafkaValue(Buffer.from(`{"Req_Type":"9","Req_ID":"${ID}","Req_Ts":"1"}`), true).error!, /Req_Type is not 1, 2 or 3/);
  assert.match(fromKafkaValue(Buffer.from(`{"Req_Type":"1","Req_ID":"xyz","Req_Ts":"1"}`), true).error!, /Req_ID is not 24/);
  assert.match(fromKafkaValue(Buffer.from(`{"Req_Type":"1","Req_ID":"${ID}","Req_Ts":"soon"}`), true).error!, /Req_Ts is not a decimal/);
});
