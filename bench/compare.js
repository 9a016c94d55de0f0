// Scenario "compare": the comparison stage alone (Analyzer.add, no network) over 100,000 exchanges,
// each a request, two baseline responses (for the noise) and one candidate response, all with ~1 KB
// JSON bodies and a change on 1% of them. Two kinds of traffic: every body holding real noise (random
// ids, clocks, shuffled arrays), and the more common case where most endpoints answer the same bytes
// twice (only one endpoint in four noisy); volatile headers differ in both.
// The bar (issue 11): >= 50,000 exchanges/s, memory flat in the number of exchanges. Beside it, in the
// same run: a bare JSON.parse of the same three bodies per exchange, the floor of a comparison that
// parses every body (the analyzer parses only the values around differences). Then the same traffic
// as gRPC: unary calls whose responses carry the same data as protobuf (schema-less, as the analyzer
// reads it), in the shape the capture records them (one chunk, grpc-status in the trailers).
//
//   node bench/compare.js           prints the markdown section
//   node bench/run.js compare       writes it into docs/BENCHMARKS.md
//
// Environment: BENCH_COMPARE_EXCHANGES (default 100000).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import { Analyzer } from '@reprise/compare';
import { machineLines } from './lib/machine.js';

const EXCHANGES = Number(process.env.BENCH_COMPARE_EXCHANGES ?? 100_000);
/** Distinct exchanges generated up front and cycled, so generating traffic is not what is timed. */
const POOL = 2000;
const CHECKPOINTS = [10_000, 50_000, 100_000].filter((n) => n <= EXCHANGES);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

let seed = 42;
function random() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

function shuffle(items) {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

const BIO = 'Keeps services stable by replaying production traffic to the next version before it ships; '.repeat(3);

/** A deterministic body (noisy = false) has the same id, clock and order in every response. */
function body(userId, changed, noisy) {
  return JSON.stringify({
    requestId: noisy ? random().toString(36).slice(2, 14) : `req-${userId}`,
    servedAt: new Date(1_700_000_000_000 + (noisy ? Math.floor(random() * 1e9) : userId)).toISOString(),
    user: { id: userId, name: `User ${userId}`, email: `user${userId}@example.com`, plan: 'pro', locale: 'en-GB', bio: BIO },
    tags: noisy ? shuffle(['alpha', 'beta', 'gamma', 'delta']) : ['alpha', 'beta', 'gamma', 'delta'],
    items: Array.from({ length: 8 }, (_, i) => ({
      sku: `SKU-${userId}-${i}`,
      price: changed && i === 3 ? 10.5 : 9.99 + i,
      qty: 1 + (i % 3),
      inStock: i % 2 === 0,
    })),
    links: { self: `/users/${userId}`, orders: `/users/${userId}/orders` },
  });
}

function response(id, text, latencyMs) {
  const payload = Buffer.from(
    `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: ${new Date().toUTCString()}\r\nX-Request-Id: ${random()}\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
  return { kind: 'replayed-response', id, timestamp: 1n, latency: BigInt(Math.round(latencyMs * 1e6)), payload };
}

/** The JSON body's data as a protobuf message (field numbers in the JSON's order; nested objects as messages). */
function grpcBody(userId, changed, noisy) {
  const w = new BinaryWriter();
  w.tag(1, 2).string(noisy ? random().toString(36).slice(2, 14) : `req-${userId}`);
  w.tag(2, 0).int64(1_700_000_000_000 + (noisy ? Math.floor(random() * 1e9) : userId));
  w.tag(3, 2).fork();
  w.tag(1, 0).int32(userId).tag(2, 2).string(`User ${userId}`).tag(3, 2).string(`user${userId}@example.com`);
  w.tag(4, 2).string('pro').tag(5, 2).string('en-GB').tag(6, 2).string(BIO);
  w.join();
  for (const tag of noisy ? shuffle(['alpha', 'beta', 'gamma', 'delta']) : ['alpha', 'beta', 'gamma', 'delta']) w.tag(4, 2).string(tag);
  for (let i = 0; i < 8; i++) {
    w.tag(5, 2).fork();
    w.tag(1, 2)
      .string(`SKU-${userId}-${i}`)
      .tag(2, 1)
      .double(changed && i === 3 ? 10.5 : 9.99 + i);
    w.tag(3, 0)
      .int32(1 + (i % 3))
      .tag(4, 0)
      .bool(i % 2 === 0);
    w.join();
  }
  w.tag(6, 2).fork().tag(1, 2).string(`/users/${userId}`).tag(2, 2).string(`/users/${userId}/orders`).join();
  return grpcFrame(w.finish());
}

/** gRPC's length prefix: not compressed, 4-byte big-endian length. */
function grpcFrame(message) {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

/** A unary gRPC response as the capture writes an HTTP/2 one: the body one chunk, grpc-status in the trailers. */
function grpcResponse(id, frame, latencyMs) {
  const head = `HTTP/1.1 200 OK\r\ncontent-type: application/grpc\r\ngrpc-accept-encoding: identity,deflate,gzip\r\ndate: ${new Date().toUTCString()}\r\nx-request-id: ${random()}\r\ntransfer-encoding: chunked\r\n\r\n${frame.length.toString(16)}\r\n`;
  const payload = Buffer.concat([
    Buffer.from(head, 'latin1'),
    frame,
    Buffer.from('\r\n0\r\ngrpc-status: 0\r\ngrpc-message: OK\r\n\r\n', 'latin1'),
  ]);
  return { kind: 'replayed-response', id, timestamp: 1n, latency: BigInt(Math.round(latencyMs * 1e6)), payload, protocol: 'h2c' };
}

const ENDPOINTS = ['/users/', '/accounts/', '/profiles/', '/carts/'];
const GRPC_METHODS = ['/users.Users/Get', '/accounts.Accounts/Get', '/profiles.Profiles/Get', '/carts.Carts/Get'];

/** `noisyEndpoints` of the 4 endpoints answer bodies with random ids, clocks and shuffled arrays. */
function makePool(noisyEndpoints, isGrpc) {
  const pool = [];
  for (let i = 0; i < POOL; i++) {
    const id = i.toString(16).padStart(24, '0');
    const userId = 1000 + i;
    const noisy = i % 4 >= ENDPOINTS.length - noisyEndpoints;
    const changed = Math.floor(i / 4) % 100 === 0;
    const request = { kind: 'request', id, timestamp: 1n, latency: 0n, payload: isGrpc ? grpcRequest(i, userId) : jsonRequest(i, userId) };
    if (isGrpc) request.protocol = 'h2c';
    const reply = isGrpc
      ? (c) => grpcResponse(id, grpcBody(userId, c, noisy), 4 + random())
      : (c) => response(id, body(userId, c, noisy), 4 + random());
    pool.push({ id, request, baseline: [reply(false), reply(false)], candidate: [reply(changed)] });
  }
  return pool;
}

function jsonRequest(i, userId) {
  return Buffer.from(`GET ${ENDPOINTS[i % 4] + userId}?x=${i} HTTP/1.1\r\nHost: svc\r\n\r\n`);
}

function grpcRequest(i, userId) {
  const frame = grpcFrame(new BinaryWriter().tag(1, 0).int32(userId).finish());
  const head = `POST ${GRPC_METHODS[i % 4]} HTTP/1.1\r\nHost: svc\r\ncontent-type: application/grpc\r\nte: trailers\r\ncontent-length: ${frame.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), frame]);
}

function heapMiB() {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/** Exchanges per step: the floor and the analyzer take turns, a step each. */
const STEP = 5000;

/** Runs `each` over exchanges [from, to) of the cycled pool; adds its wall and CPU seconds (this process) to `into`. */
function timeSpan(pool, each, from, to, into) {
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  for (let n = from; n < to; n++) each(pool[n % POOL]);
  into.seconds += Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  into.cpuSeconds += (used.user + used.system) / 1e6;
}

/**
 * The floor and the analyzer over the same EXCHANGES exchanges, in alternating steps (which goes first
 * alternates too): this host's speed drifts by a third over tens of seconds, and a drift then reaches
 * both sides of the ratio. The heap (after a full GC) is read at the checkpoints.
 */
function timedSideBySide(pool, floor, analyze) {
  const parseOnly = { seconds: 0, cpuSeconds: 0 };
  const compare = { seconds: 0, cpuSeconds: 0, heap: [] };
  for (let from = 0; from < EXCHANGES; from += STEP) {
    const to = Math.min(from + STEP, EXCHANGES);
    const turns = [() => timeSpan(pool, floor, from, to, parseOnly), () => timeSpan(pool, analyze, from, to, compare)];
    if ((from / STEP) % 2 === 1) turns.reverse();
    for (const turn of turns) turn();
    if (CHECKPOINTS.includes(to)) compare.heap.push(heapMiB());
  }
  return { parseOnly, compare };
}

/** Every body noisy, then the common case: only one endpoint in four noisy, the others answering the same bytes. */
const TRAFFIC = [
  { label: 'every body differs', noisyEndpoints: 4 },
  { label: '3 of 4 endpoints answer identical bodies', noisyEndpoints: 1 },
];

/** The body of a JSON response, as text. */
function jsonText(m) {
  return m.payload.toString('utf8', m.payload.indexOf('\r\n\r\n') + 4);
}

/** The protobuf message of a one-chunk gRPC response (what grpcResponse writes). */
function grpcMessage(m) {
  const sizeLine = m.payload.indexOf('\r\n\r\n') + 4;
  const frame = m.payload.indexOf('\r\n', sizeLine) + 2;
  const length = m.payload.readUInt32BE(frame + 1);
  return new Uint8Array(m.payload.buffer, m.payload.byteOffset + frame + 5, length);
}

/** The least a reader of the protobuf does: every top-level field's tag read and its value skipped. */
function walkProtobuf(bytes) {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    reader.skip(wireType, field);
  }
}

/**
 * Every traffic kind with noise learnt from two baseline responses, then judged with that saved profile:
 * the floor (`parseOne` over every body) and the analyzer, side by side. Returns the table rows, what
 * was reported and the verdicts on the bar, and the mean body size.
 */
function measure({ isGrpc, parseOne }) {
  const rate = (r) => Math.round(EXCHANGES / r.seconds).toLocaleString('en-US');
  const cpuRate = (r) => Math.round(EXCHANGES / r.cpuSeconds).toLocaleString('en-US');
  const mib = (v) => `${v.toFixed(1)} MiB`;
  const out = { rows: [], reported: [], verdicts: [], bodyBytes: 0 };
  for (const traffic of TRAFFIC) {
    const pool = makePool(traffic.noisyEndpoints, isGrpc);
    out.bodyBytes =
      pool.reduce((s, e) => s + (isGrpc ? grpcMessage(e.candidate[0]).length : Buffer.byteLength(jsonText(e.candidate[0]))), 0) / POOL;
    let profile;
    // With noise first: its learnt profile is what the run without noise pairs is judged with.
    for (const withNoise of [true, false]) {
      const exchanges = withNoise ? pool : pool.map((e) => ({ ...e, baseline: [e.baseline[0]] }));
      const analyzer = new Analyzer();
      const { parseOnly, compare } = timedSideBySide(
        exchanges,
        (e) => {
          for (const m of e.baseline) parseOne(m);
          parseOne(e.candidate[0]);
        },
        (e) => analyzer.add(e),
      );
      const report = analyzer.result({ noise: profile });
      if (withNoise) profile = analyzer.noiseProfile();
      const responses = withNoise ? 'baseline ×2 + candidate (noise learnt)' : 'baseline + candidate, noise from the saved profile';
      const label = `${isGrpc ? 'gRPC, ' : ''}${traffic.label}, ${responses}`;
      out.verdicts.push(`${label}: ${EXCHANGES / compare.cpuSeconds >= 50_000 ? 'met' : 'not met'}`);
      out.rows.push(
        `| ${traffic.label} | ${responses} | ${rate(parseOnly)} (${cpuRate(parseOnly)}) | ${rate(compare)} (${cpuRate(compare)}) | ${(parseOnly.cpuSeconds / compare.cpuSeconds).toFixed(2)} | ${compare.heap.map(mib).join(' / ')} |`,
      );
      const found = report.endpoints.flatMap((e) => e.differences.map((d) => `${e.endpoint} ${d.field} ${(d.rate * 100).toFixed(1)}%`));
      out.reported.push(`${label}: ${found.join('; ') || 'nothing'} (verdict ${report.verdict})`);
    }
  }
  return out;
}

export async function run() {
  const json = measure({ isGrpc: false, parseOne: (m) => JSON.parse(jsonText(m)) });
  const grpc = measure({ isGrpc: true, parseOne: (m) => walkProtobuf(grpcMessage(m)) });
  const { rows, reported, verdicts, bodyBytes } = json;
  return [
    `${EXCHANGES.toLocaleString('en-US')} exchanges fed to \`Analyzer.add\` in one process (no network): ${POOL.toLocaleString('en-US')} distinct exchanges over 4 endpoints, cycled, each response with a ~${Math.round(bodyBytes)}-byte JSON body and volatile headers (a clock, a request id), and a changed price on 1% of each endpoint's candidate responses. Two kinds of traffic: every body holding real noise (a random id, a clock, a shuffled array), and the common case where 3 of the 4 endpoints answer the same bytes twice (the fourth noisy). Bar (issue 11): ≥ 50,000 exchanges/s and memory flat in the number of exchanges. Beside it, in the same run, a bare \`JSON.parse\` of the same bodies: the floor of a comparison that parses every body. Rates are per wall-clock second and, in brackets, per CPU second of the process (user + system, all its threads): the 2 cores are shared, so the CPU rate is the one to read when the load average is high. The floor and the analyzer take turns in steps of ${STEP.toLocaleString('en-US')} exchanges, so a drift in the machine's speed during the run reaches both. Heap after a full GC at ${CHECKPOINTS.map((n) => n.toLocaleString('en-US')).join(' / ')} exchanges.`,
    '',
    '| traffic | responses per exchange | bare JSON.parse, exchanges/s (per CPU s) | Analyzer.add, exchanges/s (per CPU s) | analyzer ÷ floor (CPU rates) | heap at checkpoints |',
    '| --- | --- | ---: | ---: | ---: | --- |',
    ...rows,
    '',
    `Reported — ${reported.join('. ')}. Expected: \`body.items[].price\` at 1% on each endpoint, nothing else.`,
    '',
    `Bar of 50,000 exchanges per CPU second — ${verdicts.join('; ')}. Identical bodies are compared as bytes and never parsed, which is why the analyzer can beat the floor there. When bodies differ, none is parsed whole: the baseline's body is checked and laid out once for both of its comparisons, the others are compared with it byte-wise, and only the values around each difference are parsed (packages/compare/README.md).`,
    '',
    `### The same traffic as gRPC`,
    '',
    `The same exchanges as unary gRPC calls (\`POST /users.Users/Get\` and three more methods): each response carries the same data as a ~${Math.round(grpc.bodyBytes)}-byte protobuf message (nested messages for the user, the items and the links; the price a double), framed as the capture records an HTTP/2 response (\`content-type: application/grpc\`, the body one chunk, \`grpc-status: 0\` in the trailers), with the same volatile headers. The analyzer decodes protobuf without .proto files, by field number. The floor here is a walk of each message's top-level fields with @bufbuild/protobuf's \`BinaryReader\` (every tag read, every value skipped): the least any reader of the bytes does.`,
    '',
    '| traffic | responses per exchange | bare field walk, exchanges/s (per CPU s) | Analyzer.add, exchanges/s (per CPU s) | analyzer ÷ floor (CPU rates) | heap at checkpoints |',
    '| --- | --- | ---: | ---: | ---: | --- |',
    ...grpc.rows,
    '',
    `Reported — ${grpc.reported.join('. ')}. Expected: the price's field in the repeated items, \`body.5[].2\`, at 1% on each method, nothing else.`,
    '',
    `Bar of 50,000 exchanges per CPU second — ${grpc.verdicts.join('; ')}.`,
    '',
    ...machineLines(),
  ].join('\n');
}

export default { name: 'compare', title: 'Comparison stage (`bench/compare.js`)', run };

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(await run());
