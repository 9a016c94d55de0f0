/**
 * gRPC in the regression mode, on recorded traffic: the built CLI captures real @grpc/grpc-js calls
 * (concurrent unary calls, a server stream, a Trailers-Only error) on lo, once against a baseline
 * server and once against a changed candidate; the candidate's responses become type 3 records of
 * the baseline recording, and `reprise compare --candidate-from-input` / `reprise report` must name
 * the changed protobuf fields by number and the grpc-status change, without .proto files.
 * A second candidate, written on node:http2, gzip-compresses its messages (grpc-js servers never do).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { gzipSync } from 'node:zlib';
import type { CompareReport } from '@reprise/compare';
import { GorDecoder, findHeadEnd, splitGrpcMessages, type Message } from '@reprise/core';
import { runCli, runWhileSending, tempDir } from './support/cli.js';
import { compare, readReport, reportedDifferences } from './support/compare-run.js';
import { writeGor } from './support/gor.js';
import { listenGrpc, raw, rawMethod } from './support/grpc-echo.js';
import { h2cTestServer } from './support/h2c-server.js';

const T = { timeout: 120_000 };
const USERS = 12;
const DOWN_USER = 7;

/** `{1: "user-<id>", 2: {1: name, 2: visits}, 3: ["a", "b"]}` */
function userReply(id: number, name: string): Buffer {
  const w = new BinaryWriter();
  w.tag(1, WireType.LengthDelimited).string(`user-${id}`);
  w.tag(2, WireType.LengthDelimited)
    .fork()
    .tag(1, WireType.LengthDelimited)
    .string(name)
    .tag(2, WireType.Varint)
    .int64(id * 10)
    .join();
  w.tag(3, WireType.LengthDelimited).string('a').tag(3, WireType.LengthDelimited).string('b');
  return Buffer.from(w.finish());
}

function idOf(request: Buffer): number {
  const reader = new BinaryReader(request);
  reader.tag();
  return reader.int32();
}

/** What the users service answers: a reply, or an error status. */
function getReply(id: number, candidate: boolean): Buffer | { code: grpc.status; details: string } {
  if (candidate && id === DOWN_USER) return { code: grpc.status.UNAVAILABLE, details: 'down' };
  return userReply(id, candidate && id % 3 === 0 ? 'ADA' : 'Ada');
}

function listReplies(page: number, candidate: boolean): Buffer[] {
  return [0, 1, 2].map((i) => {
    const name = candidate && i === 2 ? `item-${page}-two` : `item-${page}-${i}`;
    return Buffer.from(new BinaryWriter().tag(1, WireType.Varint).int32(i).tag(2, WireType.LengthDelimited).string(name).finish());
  });
}

/**
 * The users service on @grpc/grpc-js. The candidate upper-cases the name of every third user, is
 * UNAVAILABLE for one user (Trailers-Only), and renames the last item of its stream.
 */
async function usersServer(t: TestContext, candidate: boolean): Promise<number> {
  const server = new grpc.Server();
  server.addService(
    { Get: rawMethod('/users.Users/Get', false), List: rawMethod('/users.Users/List', true) },
    {
      Get: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        const reply = getReply(idOf(call.request), candidate);
        if (Buffer.isBuffer(reply)) callback(null, reply);
        else callback(reply);
      },
      List: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
        for (const reply of listReplies(idOf(call.request), candidate)) call.write(reply);
        call.end();
      },
    },
  );
  return listenGrpc(t, server);
}

/**
 * The candidate service written on node:http2, gzip-compressing every reply (grpc-js servers never
 * compress theirs), with the headers and trailers grpc-js sends.
 */
async function gzipUsersServer(t: TestContext): Promise<number> {
  const { port } = await h2cTestServer(t, (stream, headers, body) => {
    const id = idOf(Buffer.from(splitGrpcMessages(body).messages[0]!.data));
    const replies = headers[':path'] === '/users.Users/List' ? listReplies(id, true) : [getReply(id, true)];
    const type = { 'content-type': 'application/grpc+proto' };
    const only = replies[0]!;
    if (!Buffer.isBuffer(only)) {
      stream.respond({ ':status': 200, ...type, 'grpc-status': String(only.code), 'grpc-message': only.details }, { endStream: true });
      return;
    }
    const encoding = { 'grpc-accept-encoding': 'identity,deflate,gzip', 'grpc-encoding': 'gzip' };
    stream.respond({ ':status': 200, ...type, ...encoding }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'OK' }));
    for (const reply of replies as Buffer[]) {
      const compressed = gzipSync(reply);
      const prefix = Buffer.alloc(5);
      prefix[0] = 1;
      prefix.writeUInt32BE(compressed.length, 1);
      stream.write(Buffer.concat([prefix, compressed]));
    }
    stream.end();
  });
  return port;
}

const idRequest = (id: number) => Buffer.from(new BinaryWriter().tag(1, WireType.Varint).int32(id).finish());

/** Captures the calls made to one server; returns the recorded requests and responses. */
async function captureCalls(t: TestContext, port: number, file: string): Promise<Message[]> {
  const run = await runWhileSending(['--input-raw', `:${port}`, '--input-raw-track-response', '--output-file', file], async () => {
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    t.after(() => client.close());
    const get = (id: number) =>
      new Promise<void>((resolve) =>
        client.makeUnaryRequest('/users.Users/Get', raw.serialize, raw.deserialize, idRequest(id), () => resolve()),
      );
    // Concurrent streams on one connection, in two waves.
    await Promise.all(Array.from({ length: USERS / 2 }, (_, i) => get(i)));
    await Promise.all(Array.from({ length: USERS / 2 }, (_, i) => get(USERS / 2 + i)));
    for (let page = 0; page < 2; page++) {
      await new Promise<void>((resolve) => {
        const stream = client.makeServerStreamRequest('/users.Users/List', raw.serialize, raw.deserialize, idRequest(page));
        stream.on('data', () => {});
        stream.on('error', () => resolve());
        stream.on('end', () => resolve());
      });
    }
  });
  assert.equal(run.code, 0, run.stderr);
  const decoder = new GorDecoder();
  const decoded = decoder.end(decoder.push(readFileSync(file)));
  return decoded.flatMap((d) => (d.type === 'record' ? [d.message] : []));
}

/** Path and request body: the same call in both captures. */
function callKey(request: Message): string {
  const bytes = Buffer.from(request.payload);
  return `${bytes.toString('latin1', 0, bytes.indexOf('\r\n'))} ${bytes.subarray(findHeadEnd(bytes)).toString('hex')}`;
}

/**
 * Captures the same calls to the baseline (grpc-js) and to a candidate, makes the candidate's
 * responses type 3 records of the baseline recording, and compares them.
 */
async function compareCaptures(t: TestContext, candidatePort: number) {
  const dir = tempDir(t);
  const baseline = await captureCalls(t, await usersServer(t, false), join(dir, 'baseline.gor'));
  const changed = await captureCalls(t, candidatePort, join(dir, 'candidate.gor'));
  const candidateResponses = new Map(changed.filter((m) => m.kind === 'response').map((m) => [m.id, m]));
  const candidateByCall = new Map(changed.filter((m) => m.kind === 'request').map((m) => [callKey(m), candidateResponses.get(m.id)]));
  const requests = baseline.filter((m) => m.kind === 'request');
  assert.equal(requests.length, USERS + 2, 'every call was recorded');
  const replayed = requests.map((r): Message => {
    const answer = candidateByCall.get(callKey(r));
    assert.ok(answer, `the candidate's answer to ${callKey(r)}`);
    return { ...answer, id: r.id, kind: 'replayed-response' };
  });
  const input = join(dir, 'compared.gor');
  writeGor(input, [...baseline, ...replayed]);
  const json = join(dir, 'report.json');
  const run = join(dir, 'run.rpr');
  const result = await compare([
    '--input-file',
    input,
    '--input-file-no-wait',
    '--candidate-from-input',
    '--report-json',
    json,
    '--save-run',
    run,
  ]);
  assert.equal(result.code, 5, `the changes fail the verdict\n${result.stderr}`);
  return { report: readReport(json), stderr: result.stderr, run, dir, changed };
}

/** The differences the candidate's changes make, whatever server implements it. */
const INJECTED = [
  'POST /users.Users/Get body.2.1 changed',
  'POST /users.Users/Get body[] missing',
  'POST /users.Users/Get grpc-message changed', // 'OK' in the trailers, 'down'
  'POST /users.Users/Get grpc-status changed',
  // A Trailers-Only error carries no message, and grpc-js sends no encoding headers with it.
  'POST /users.Users/Get header.grpc-accept-encoding missing',
  'POST /users.Users/Get header.grpc-encoding missing',
  'POST /users.Users/List body.2 changed',
];

function assertInjectedChanges(report: CompareReport): void {
  const get = report.endpoints.find((e) => e.endpoint === 'POST /users.Users/Get')!;
  const field = (name: string) => get.differences.find((d) => d.field === name)!;
  assert.equal(field('body.2.1').count, 4, 'users 0, 3, 6 and 9 renamed');
  assert.deepEqual([field('body.2.1').examples[0]!.baseline, field('body.2.1').examples[0]!.candidate], ['Ada', 'ADA']);
  assert.deepEqual([field('grpc-status').examples[0]!.baseline, field('grpc-status').examples[0]!.candidate], ['0', '14']);
  assert.equal(get.errorRate, 1 / USERS, 'grpc-status 14 is a candidate error although HTTP said 200');
  assert.equal(get.statusMismatchRate, 1 / USERS);
  assert.deepEqual(get.grpcStatus, { baseline: { 0: USERS }, candidate: { 0: USERS - 1, 14: 1 } });
  const list = report.endpoints.find((e) => e.endpoint === 'POST /users.Users/List')!;
  assert.deepEqual(
    list.differences.find((d) => d.field === 'body.2')!.examples.map((e) => [e.baseline, e.candidate]),
    [
      ['item-0-2', 'item-0-two'],
      ['item-1-2', 'item-1-two'],
    ],
  );
  assert.deepEqual(list.grpcStatus, { baseline: { 0: 2 }, candidate: { 0: 2 } });
}

test('reprise compare names changed protobuf fields by number and a grpc-status change, from recorded gRPC traffic', T, async (t) => {
  const { report, stderr, run, dir } = await compareCaptures(t, await usersServer(t, true));

  assert.deepEqual(reportedDifferences(report), INJECTED);
  assertInjectedChanges(report);
  assert.match(stderr, /grpc-status: baseline 0 OK ×12 · candidate 0 OK ×11, 14 UNAVAILABLE ×1/);

  // The run file gives the same report offline.
  const again = join(dir, 'again.json');
  const offline = await runCli(['report', run, '--report-json', again], { timeoutMs: 30_000 });
  assert.equal(offline.code, 5, offline.stderr);
  const { settings: _a, ...live } = report;
  const { settings: _b, ...rebuilt } = readReport(again);
  assert.deepEqual(rebuilt, live);

  // grpc-status errors feed --fail-on error_rate: 1 of 12 calls is 8.3%.
  const gate = (threshold: string) => runCli(['report', run, '--quiet', '--fail-on', threshold], { timeoutMs: 30_000 });
  assert.equal((await gate('error_rate>10%')).code, 0);
  assert.equal((await gate('error_rate>5%')).code, 5);
});

test('a candidate that gzip-compresses its messages differs only by grpc-encoding and the injected changes', T, async (t) => {
  const { report, changed } = await compareCaptures(t, await gzipUsersServer(t));

  const compressed = changed.find((m) => m.kind === 'response' && Buffer.from(m.payload).includes('grpc-encoding: gzip'));
  assert.ok(compressed, 'the candidate recording holds gzip-compressed messages');
  assert.deepEqual(
    reportedDifferences(report),
    [...INJECTED, 'POST /users.Users/Get header.grpc-encoding changed', 'POST /users.Users/List header.grpc-encoding changed'].sort(),
  );
  assertInjectedChanges(report);
});

test('reprise compare --help says how gRPC is compared', T, async () => {
  const help = await compare(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /gRPC and protobuf bodies are compared by field number without \.proto files \(body\.2\.1\)/);
  assert.match(help.stdout, /grpc-status is compared, and one other than 0 counts as an error \(error_rate\)/);
});
