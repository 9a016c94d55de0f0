import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { Ajv } from 'ajv';
import { Analyzer } from '../src/analyzer.js';
import type { Comparator } from '../src/comparator.js';
import { grpcComparator, protobufComparator } from '../src/comparators/index.js';
import { compareProtoFields } from '../src/comparators/protobuf-diff.js';
import { decodeProtobuf, interpret, type ProtoField, protoFieldsJson } from '../src/comparators/protobuf-fields.js';
import { DEFAULT_IGNORED_FIELDS, fieldMatcher } from '../src/ignore-list.js';
import { compareReportSchema } from '../src/report.js';
import { renderHtml, renderMarkdown, renderTerminal } from '../src/render/index.js';
import { ComparedResponse, diffResponses } from '../src/response-diff.js';
import { viewResponse } from '../src/response-view.js';
import { grpcExchange, grpcResponse, type GrpcResponseSpec, userMessage } from './grpc-helpers.js';
import { response } from './helpers.js';

const validateReport = new Ajv({ strict: true }).compile(compareReportSchema);

/** The fields, kinds and values that differ between two gRPC responses, through the analyzer's own path. */
function diff(a: GrpcResponseSpec, b: GrpcResponseSpec): string[] {
  const id = '0'.repeat(24);
  const out = diffResponses(
    new ComparedResponse(viewResponse(grpcResponse(a, id))),
    new ComparedResponse(viewResponse(grpcResponse(b, id))),
    grpcComparator as Comparator,
    fieldMatcher(DEFAULT_IGNORED_FIELDS),
  );
  return [...out.values()].map((d) => `${d.field} ${d.kind} ${JSON.stringify(d.baseline)} → ${JSON.stringify(d.candidate)}`).sort();
}

test('hand-built wire bytes decode into field numbers: varint, fixed32/64, string, bytes, nested and repeated', () => {
  const w = new BinaryWriter();
  w.tag(1, WireType.Varint).int64(150);
  w.tag(2, WireType.Varint).int32(-2); // a 10-byte varint, read as int64
  w.tag(3, WireType.Bit32).fixed32(7);
  w.tag(4, WireType.Bit64).fixed64(2n ** 63n + 1n);
  w.tag(5, WireType.LengthDelimited).string('héllo');
  w.tag(6, WireType.LengthDelimited).bytes(new Uint8Array([0xff, 0xfe, 0x00]));
  w.tag(7, WireType.LengthDelimited).fork().tag(1, WireType.Varint).int32(9).tag(2, WireType.LengthDelimited).string('in').join();
  w.tag(8, WireType.LengthDelimited).string('a').tag(8, WireType.LengthDelimited).string('b');
  w.tag(9, WireType.LengthDelimited).string('');
  w.tag(10, WireType.LengthDelimited).string('0105'); // printable text, although it parses as {6: [49, 53]}
  const fields = decodeProtobuf(w.finish());
  assert.deepEqual(protoFieldsJson(fields), {
    1: 150,
    2: -2,
    3: 7,
    4: '9223372036854775809',
    5: 'héllo',
    6: '0xfffe00',
    7: { 1: 9, 2: 'in' },
    8: ['a', 'b'],
    9: '',
    10: '0105',
  });
  assert.equal(interpret(fields.get(7)![0]!).wire, 'message');
  assert.equal(interpret(fields.get(6)![0]!).wire, 'bytes');
});

test('bytes that are not a protobuf message are refused', () => {
  assert.throws(() => decodeProtobuf(Buffer.from('{"json": true}')));
  assert.throws(() => decodeProtobuf(new Uint8Array([0x0a, 0x05, 0x61]))); // a length past the end
  assert.throws(() => decodeProtobuf(new Uint8Array([0x00]))); // field number 0
  assert.throws(() => decodeProtobuf(new Uint8Array([0x09, 1, 2, 3])), /ends past/); // a fixed64 cut short
  assert.throws(() => decodeProtobuf(new Uint8Array([0x08, ...Array(10).fill(0x80), 0x01])), /longer than 10 bytes/);
  assert.throws(() => decodeProtobuf(new Uint8Array([0xf8, 0xff, 0xff, 0xff, 0xff, 0x01]))); // a tag past 32 bits
  assert.throws(() => decodeProtobuf(new Uint8Array([0x0c]))); // an end-group tag that starts nothing
  assert.throws(() => decodeProtobuf(new Uint8Array([0x0f]))); // wire type 7
});

test('a group (proto2) is kept as its bytes, up to and with its end tag; fields around it are read', () => {
  const w = new BinaryWriter();
  w.tag(1, WireType.Varint).int32(3);
  w.tag(2, WireType.StartGroup).tag(1, WireType.Varint).int32(5).tag(2, WireType.EndGroup);
  w.tag(3, WireType.LengthDelimited).string('after');
  assert.deepEqual(protoFieldsJson(decodeProtobuf(w.finish())), { 1: 3, 2: '0x080514', 3: 'after' });
});

test('differences are named body.<field number>, nested body.2.1, repeated folded body.3[], with kinds', () => {
  const before = userMessage({ id: 'u1', name: 'ada', count: 1, tags: ['x', 'y'] });
  assert.deepEqual(diff({ messages: [before] }, { messages: [before] }), []);
  assert.deepEqual(diff({ messages: [before] }, { messages: [userMessage({ id: 'u1', name: 'bob', count: 2, tags: ['y', 'x'] })] }), [
    'body.2.1 changed "ada" → "bob"',
    'body.2.2 changed 1 → 2',
  ]);
  assert.deepEqual(diff({ messages: [before] }, { messages: [userMessage({ name: 'ada', count: 1, tags: ['x', 'y', 'z'] })] }), [
    'body.1 missing "u1" → undefined',
    'body.3[] extra ["x","y"] → ["x","y","z"]',
  ]);
  assert.deepEqual(diff({ messages: [before] }, { messages: [userMessage({ id: 'u1', name: 'ada', count: 1, tags: ['x', 'z'] })] }), [
    'body.3[] changed ["x","y"] → ["x","z"]',
  ]);
  const typed = new BinaryWriter().tag(1, WireType.Varint).int32(5).finish();
  assert.deepEqual(diff({ messages: [userMessage({ id: 'u1' })] }, { messages: [typed] }), [
    'body.1 type "u1" → 5',
    'body.2 missing {"1":"ada","2":1} → undefined',
  ]);
});

test('only values whose bytes differ are read: equal nested messages and repeated values stay unread', () => {
  const order = (price: number, note: string) => {
    const w = new BinaryWriter();
    w.tag(1, WireType.LengthDelimited).fork().tag(1, WireType.Varint).int32(7).tag(2, WireType.LengthDelimited).string('ada').join();
    for (const sku of ['a', 'b']) w.tag(2, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string(sku).join();
    w.tag(3, WireType.LengthDelimited).fork();
    w.tag(1, WireType.Bit64).double(price).tag(2, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string(note).join();
    w.join();
    return decodeProtobuf(w.finish());
  };
  const a = order(9.5, 'same');
  const b = order(10.5, 'same');
  const found: string[] = [];
  compareProtoFields(a, b, '', (field, kind) => found.push(`${field} ${kind}`));
  assert.deepEqual(found, ['3.1 changed']);
  const unread = (value: unknown) => (value as ProtoField).read === undefined;
  for (const side of [a, b]) {
    assert.ok(unread(side.get(1)![0]), 'the equal user message is not read');
    assert.ok(side.get(2)!.every(unread), 'the equal repeated messages are not read');
    assert.ok(!unread(side.get(3)![0]), 'the message holding the change is read');
    const inner = interpret(side.get(3)![0]!);
    assert.ok(inner.wire === 'message' && unread(inner.fields.get(2)![0]), 'inside it, the equal nested message is not read');
  }
  // Read on demand, they are what an eager decode gives.
  assert.deepEqual(protoFieldsJson(a)[1], { 1: 7, 2: 'ada' });
});

test('a stream is compared message by message with the same paths; a different count is body[]', () => {
  const m = (name: string) => userMessage({ name });
  assert.deepEqual(diff({ messages: [m('a'), m('b'), m('c')] }, { messages: [m('a'), m('B'), m('c')] }), ['body.2.1 changed "b" → "B"']);
  assert.deepEqual(diff({ messages: [m('a'), m('b')] }, { messages: [m('a')] }), ['body[] missing {"2":{"1":"b","2":1}} → undefined']);
  assert.deepEqual(diff({ messages: [m('a')] }, { messages: [m('a'), m('b')] }), ['body[] extra undefined → {"2":{"1":"b","2":1}}']);
});

test('gzip-compressed messages are compared by content; an unknown grpc-encoding is reported as body', () => {
  const m = userMessage({ id: 'u1', name: 'ada' });
  assert.deepEqual(diff({ messages: [m] }, { messages: [m], gzip: true }), ['header.grpc-encoding extra undefined → "gzip"']);
  assert.deepEqual(diff({ messages: [m] }, { messages: [m], encoding: 'snappy' }), [
    'body changed "whole gRPC messages" → "gRPC body: the message at byte 0 is compressed with grpc-encoding \\"snappy\\", which is not decoded (gzip, deflate and identity are)"',
    'body[] missing {"1":"u1","2":{"1":"ada","2":1}} → undefined',
    'header.grpc-encoding extra undefined → "snappy"',
  ]);
});

test('messages that are not protobuf are compared by their bytes: two different payloads differ, equal ones do not', () => {
  const raw = (text: string) => new TextEncoder().encode(text);
  for (const text of ['echo:hello-0', 'ECHO:hello-0']) assert.throws(() => decodeProtobuf(raw(text)), `${text} is not protobuf`);
  const changed = diff({ messages: [raw('echo:hello-0')] }, { messages: [raw('ECHO:hello-0')] });
  assert.equal(changed.length, 1, changed.join('\n'));
  assert.match(changed[0]!, /^body changed "sha256:[0-9a-f]{16} \(12 bytes\)" → "sha256:[0-9a-f]{16} \(12 bytes\)"$/);
  assert.deepEqual(diff({ messages: [raw('echo:hello-0')] }, { messages: [raw('echo:hello-0')] }), []);
});

test('grpc-status is compared wherever it travels: the trailer, or the header of a Trailers-Only error', () => {
  const m = userMessage({ id: 'u1' });
  assert.deepEqual(diff({ messages: [m] }, { trailersOnly: true, status: 14, grpcMessage: 'unavailable' }), [
    'body[] missing {"1":"u1","2":{"1":"ada","2":1}} → undefined',
    'grpc-message extra undefined → "unavailable"',
    'grpc-status changed "0" → "14"',
  ]);
  assert.deepEqual(diff({ messages: [m], status: 5, grpcMessage: 'a' }, { messages: [m], status: 5, grpcMessage: 'b' }), [
    'grpc-message changed "a" → "b"',
  ]);
  const view = viewResponse(grpcResponse({ messages: [m], status: 0 }, '0'.repeat(24)));
  assert.equal(view.grpcStatus, '0');
  assert.equal(view.trailers.get('grpc-status'), '0');
  assert.equal(viewResponse(grpcResponse({ trailersOnly: true, status: 14 }, '0'.repeat(24))).grpcStatus, '14');
  assert.equal(viewResponse(response({ body: 'plain' })).grpcStatus, undefined);
});

test('other trailers are compared as trailer.<name>', () => {
  const chunked = (trailer: string) =>
    new ComparedResponse(
      viewResponse({
        kind: 'replayed-response',
        id: '0'.repeat(24),
        timestamp: 1n,
        latency: 1n,
        payload: Buffer.from(`HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n${trailer}\r\n`),
      }),
    );
  const out = diffResponses(
    chunked('x-checksum: 1\r\n'),
    chunked('x-checksum: 2\r\nx-new: y\r\n'),
    grpcComparator as Comparator,
    () => false,
  );
  assert.deepEqual(
    [...out.values()].map((d) => `${d.field} ${d.kind}`),
    ['trailer.x-checksum changed', 'trailer.x-new extra'],
  );
});

test('application/x-protobuf bodies are one message compared by field number; the analyzer picks each comparator by content type', () => {
  assert.ok(protobufComparator.matches('application/x-protobuf', new Uint8Array()));
  assert.ok(protobufComparator.matches('application/protobuf', new Uint8Array()));
  assert.ok(grpcComparator.matches('application/grpc+proto', new Uint8Array()));
  assert.ok(!grpcComparator.matches('application/grpc+json', new Uint8Array()));
  const analyzer = new Analyzer();
  const proto = (name: string) => ({ headers: { 'Content-Type': 'application/x-protobuf' }, body: Buffer.from(userMessage({ name })) });
  const req = grpcExchange('/x', [], []);
  analyzer.add({ ...req, baseline: [response(proto('ada'), req.id)], candidate: [response(proto('bob'), req.id)] });
  const report = analyzer.result();
  assert.deepEqual(
    report.endpoints[0]!.differences.map((d) => `${d.field} ${d.kind}`),
    ['body.2.1 changed'],
  );
});

test('with two baseline responses, a random field is cancelled as noise and the changed one reported; grpc-status errors count', () => {
  const analyzer = new Analyzer();
  let seq = 0;
  const random = () => `req-${(seq++).toString(36)}`; // a request id that differs in every response
  for (let i = 0; i < 40; i++) {
    const ok = (name: string): GrpcResponseSpec => ({ messages: [userMessage({ id: random(), name, count: i })] });
    // The candidate renames user 3 of every 4 and is unavailable on 1 request in 10.
    const candidate: GrpcResponseSpec = i % 10 === 9 ? { trailersOnly: true, status: 14 } : ok(i % 4 === 3 ? 'bob' : 'ada');
    analyzer.add(grpcExchange('/users.Users/Get', [ok('ada'), ok('ada')], [candidate]));
  }
  const report = analyzer.result();
  assert.ok(validateReport(report), JSON.stringify(validateReport.errors));
  const e = report.endpoints[0]!;
  assert.equal(e.endpoint, 'POST /users.Users/Get');
  assert.deepEqual(
    e.differences.map((d) => `${d.field} ${d.kind} ${d.count}`),
    ['body.2.1 changed 8', 'body[] missing 4', 'grpc-status changed 4'], // 10 renamed, 2 of them unavailable
  );
  assert.deepEqual(
    e.noise.map((d) => `${d.field} ${d.kind}`),
    ['body.1 changed'],
  );
  assert.equal(e.noise[0]!.noiseRate, 1);
  assert.equal(e.errorRate, 4 / 40, 'a grpc-status other than 0 is an error although HTTP said 200');
  assert.equal(e.baselineErrorRate, 0);
  assert.equal(e.errorRegression, true);
  assert.equal(e.statusMismatchRate, 4 / 40, 'grpc-status differences count as status mismatches');
  assert.deepEqual(e.grpcStatus, { baseline: { 0: 40 }, candidate: { 0: 36, 14: 4 } });
  assert.equal(report.verdict, 'fail');
  const line = 'grpc-status: baseline 0 OK ×40 · candidate 0 OK ×36, 14 UNAVAILABLE ×4';
  assert.ok(renderTerminal(report).includes(`\n         ${line}\n`), renderTerminal(report));
  assert.ok(renderMarkdown(report).includes(`- \`POST /users.Users/Get\`: ${line}`));
  assert.ok(renderHtml(report).includes(`<div class="muted grpc-status">${line}</div>`));
});

test('an endpoint without gRPC responses has no grpcStatus breakdown', () => {
  const analyzer = new Analyzer();
  const req = grpcExchange('/plain', [], []);
  analyzer.add({ ...req, baseline: [response({ body: 'a' }, req.id)], candidate: [response({ body: 'a' }, req.id)] });
  assert.equal(analyzer.result().endpoints[0]!.grpcStatus, undefined);
});

test('the grpc-status breakdown stays bounded whatever values a server sends', () => {
  const analyzer = new Analyzer();
  const m = userMessage({ id: 'u1' });
  for (let status = 0; status < 100; status++) analyzer.add(grpcExchange('/svc.S/M', [{ messages: [m] }], [{ messages: [m], status }]));
  const breakdown = analyzer.result().endpoints[0]!.grpcStatus!;
  assert.equal(Object.keys(breakdown.candidate).length, 33);
  assert.equal(breakdown.candidate['other'], 100 - 32);
  assert.equal(breakdown.candidate['16'], 1);
});

test('a recorded response (the baseline) with a grpc-status other than 0 is a baseline error', () => {
  const analyzer = new Analyzer();
  const m = userMessage({ id: 'u1' });
  for (let i = 0; i < 10; i++) {
    const x = grpcExchange('/svc.S/M', [i < 3 ? { trailersOnly: true, status: 14 } : { messages: [m] }], [{ messages: [m] }]);
    analyzer.add({ ...x, baseline: x.baseline.map((r) => ({ ...r, kind: 'response' as const })) });
  }
  const e = analyzer.result().endpoints[0]!;
  assert.equal(e.baselineErrorRate, 0.3);
  assert.equal(e.errorRate, 0);
  assert.equal(e.errorRegression, false);
  assert.deepEqual(e.grpcStatus, { baseline: { 0: 7, 14: 3 }, candidate: { 0: 10 } });
});
