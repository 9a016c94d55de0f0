import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exchangeToDocument, latencyMs, REDACTED, type DocumentOptions } from '../src/document.js';
import { newId, requestMessage, responseMessage } from './context.js';

const DEFAULTS: DocumentOptions = { includeBodies: false, bodyLimitBytes: 16, keepSensitiveHeaders: false };
const T0 = Date.UTC(2026, 10, 26, 3, 0, 0);

const REQUEST_HEAD = [
  'POST /api/items?page=2&sort=asc HTTP/1.1',
  'Host: shop.example.com',
  'User-Agent: curl/8.0',
  'Accept: application/json',
  'Accept-Language: fr',
  'Accept-Encoding: gzip',
  'Connection: keep-alive',
  'Cookie: session=abc123; theme=dark',
  'Authorization: Bearer eyJsecret',
  'Content-Length: 30',
].join('\n');

const RESPONSE_HEAD = [
  'HTTP/1.1 201 Created',
  'Content-Type: application/json',
  'Content-Length: 11',
  'Cache-Control: no-cache',
  'Set-Cookie: sid=topsecret; Path=/; HttpOnly',
].join('\n');

test("a request with its replayed response gets GoReplay's field names and reprise's own", { timeout: 5000 }, () => {
  const id = newId();
  const doc = exchangeToDocument(
    {
      id,
      request: requestMessage(id, REQUEST_HEAD, { timestampMs: T0 }),
      replayed: responseMessage(id, 'replayed-response', RESPONSE_HEAD, { latencyMs: 12.5 }),
    },
    DEFAULTS,
  )!;
  assert.equal(doc['Req_URL'], '/api/items?page=2&sort=asc');
  assert.equal(doc['Req_Method'], 'POST');
  assert.equal(doc['Req_User-Agent'], 'curl/8.0');
  assert.equal(doc['Req_Accept'], 'application/json');
  assert.equal(doc['Req_Accept-Language'], 'fr');
  assert.equal(doc['Req_Accept-Encoding'], 'gzip');
  assert.equal(doc['Req_Connection'], 'keep-alive');
  assert.equal(doc['Req_Host'], 'shop.example.com');
  assert.equal(doc['Req_Path'], '/api/items');
  assert.equal(doc['Req_Query'], 'page=2&sort=asc');
  assert.equal(doc['Req_Content-Length'], 30);
  assert.equal(doc['Req_Id'], id);
  assert.equal(doc['Timestamp'], '2026-11-26T03:00:00.000Z');
  assert.equal(doc['Resp_Status'], '201 Created');
  assert.equal(doc['Resp_Status-Code'], '201');
  assert.equal(doc['Resp_Proto'], 'HTTP/1.1');
  assert.equal(doc['Resp_Content-Type'], 'application/json');
  assert.equal(doc['Resp_Content-Length'], 11);
  assert.equal(doc['Resp_Cache-Control'], 'no-cache');
  assert.equal(doc['RTT'], 12.5);
  assert.equal(doc['Resp_Source'], 'replayed');
  assert.equal(doc['Replay_Status-Code'], '201');
  assert.equal(doc['Replay_RTT'], 12.5);
  assert.equal(doc['Status_Mismatch'], undefined, 'no mismatch flag without both responses');
  assert.equal(doc['Req_Body'], undefined, 'bodies are off by default');
});

test('Authorization, Cookie and Set-Cookie values are redacted by default, names and scheme kept', { timeout: 5000 }, () => {
  const id = newId();
  const doc = exchangeToDocument(
    { id, request: requestMessage(id, REQUEST_HEAD), original: responseMessage(id, 'response', RESPONSE_HEAD) },
    DEFAULTS,
  )!;
  assert.equal(doc['Req_Authorization'], `Bearer ${REDACTED}`);
  assert.equal(doc['Req_Cookies'], `session=${REDACTED}; theme=${REDACTED}`);
  assert.equal(doc['Resp_Set-Cookie'], `sid=${REDACTED}`);
  const text = JSON.stringify(doc);
  for (const secret of ['eyJsecret', 'abc123', 'topsecret']) assert.ok(!text.includes(secret), secret);
});

test('keepSensitiveHeaders keeps the values as they were sent', { timeout: 5000 }, () => {
  const id = newId();
  const doc = exchangeToDocument(
    { id, request: requestMessage(id, REQUEST_HEAD), original: responseMessage(id, 'response', RESPONSE_HEAD) },
    { ...DEFAULTS, keepSensitiveHeaders: true },
  )!;
  assert.equal(doc['Req_Authorization'], 'Bearer eyJsecret');
  assert.equal(doc['Req_Cookies'], 'session=abc123; theme=dark');
  assert.equal(doc['Resp_Set-Cookie'], 'sid=topsecret; Path=/; HttpOnly');
});

test('bodies are indexed when asked, cut at the limit and flagged', { timeout: 5000 }, () => {
  const id = newId();
  const doc = exchangeToDocument(
    {
      id,
      request: requestMessage(id, REQUEST_HEAD, { body: '{"name":"a rather long body"}' }),
      original: responseMessage(id, 'response', RESPONSE_HEAD, { body: '{"id":1234}' }),
    },
    { ...DEFAULTS, includeBodies: true, bodyLimitBytes: 16 },
  )!;
  assert.equal(doc['Req_Body'], '{"name":"a rathe');
  assert.equal(doc['Req_Body-Truncated'], true);
  assert.equal(doc['Resp_Body'], '{"id":1234}');
  assert.equal(doc['Resp_Body-Truncated'], undefined);
});

test('original and replayed statuses and latencies sit side by side with a mismatch flag', { timeout: 5000 }, () => {
  const id = newId();
  const request = requestMessage(id, 'GET /x HTTP/1.1\nHost: a', { timestampMs: T0 });
  const same = exchangeToDocument(
    {
      id,
      request,
      original: responseMessage(id, 'response', 'HTTP/1.1 200 OK', { timestampMs: T0 + 7 }),
      replayed: responseMessage(id, 'replayed-response', 'HTTP/1.1 200 OK', { latencyMs: 3 }),
    },
    DEFAULTS,
  )!;
  assert.equal(same['Status_Mismatch'], false);
  assert.equal(same['Orig_RTT'], 7, 'the timestamps give the latency when the response has none');
  assert.equal(same['Replay_RTT'], 3);
  assert.equal(same['Resp_Source'], 'replayed');
  const different = exchangeToDocument(
    {
      id,
      request,
      original: responseMessage(id, 'response', 'HTTP/1.1 200 OK'),
      replayed: responseMessage(id, 'replayed-response', 'HTTP/1.1 502 Bad Gateway'),
    },
    DEFAULTS,
  )!;
  assert.equal(different['Status_Mismatch'], true);
  assert.equal(different['Orig_Status-Code'], '200');
  assert.equal(different['Replay_Status-Code'], '502');
  assert.equal(different['Resp_Status-Code'], '502', "GoReplay's fields describe the replayed response");
});

test('a request alone has no response fields, and without a request there is no document', { timeout: 5000 }, () => {
  const id = newId();
  const alone = exchangeToDocument({ id, request: requestMessage(id, 'GET / HTTP/1.1\nHost: a') }, DEFAULTS)!;
  assert.equal(alone['Req_URL'], '/');
  assert.equal(alone['Resp_Status-Code'], undefined);
  assert.equal(alone['RTT'], undefined);
  assert.equal(exchangeToDocument({ id, original: responseMessage(id, 'response', 'HTTP/1.1 200 OK') }, DEFAULTS), undefined);
});

test('an absolute-form target gives host, path and query', { timeout: 5000 }, () => {
  const id = newId();
  const doc = exchangeToDocument({ id, request: requestMessage(id, 'GET http://proxy.example:8080/a/b?c=d HTTP/1.1') }, DEFAULTS)!;
  assert.equal(doc['Req_Host'], 'proxy.example:8080');
  assert.equal(doc['Req_Path'], '/a/b');
  assert.equal(doc['Req_Query'], 'c=d');
});

test('a request without a readable head gives no document', { timeout: 5000 }, () => {
  const id = newId();
  const garbage = { ...requestMessage(id, 'x'), payload: new TextEncoder().encode('not http at all') };
  assert.equal(exchangeToDocument({ id, request: garbage }, DEFAULTS), undefined);
});

test('latency is never negative when clocks disagree', { timeout: 5000 }, () => {
  const id = newId();
  const request = requestMessage(id, 'GET / HTTP/1.1', { timestampMs: T0 + 100 });
  assert.equal(latencyMs(request, responseMessage(id, 'response', 'HTTP/1.1 200 OK', { timestampMs: T0 })), 0);
});
