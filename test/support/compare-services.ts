/**
 * A small shop API in two versions, for the regression tests. Both versions are noisy the way real
 * services are: a random request id and a microsecond clock in bodies, a shuffled tag array,
 * volatile headers (Date, X-Request-Id, ETag). The candidate has regressions injected on purpose:
 *
 *   GET /users/:id   body.email changed when id % 5 == 0            (20% of that endpoint)
 *   GET /items/:id   body.item.currency removed                     (100%; responses gzipped)
 *   GET /orders/:id  status 404 instead of 200 when id % 10 == 0    (10%, same body)
 *   GET /search      40 ms slower                                    (chunked responses)
 *   POST /events     unchanged (sent once per side: side effects)
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { Message } from '@reprise/core';

export type Version = 'baseline' | 'candidate';

export interface ServiceAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Sent with Transfer-Encoding: chunked, in two pieces. */
  isChunked?: boolean;
  delayMs?: number;
}

export const INJECTED = {
  'GET /users/:id': [{ field: 'body.email', kind: 'changed', rate: 0.2 }],
  'GET /items/:id': [{ field: 'body.item.currency', kind: 'missing', rate: 1 }],
  'GET /orders/:id': [{ field: 'status', kind: 'changed', rate: 0.1 }],
} as const;
export const SLOWER_ENDPOINT = 'GET /search';

function clock(): string {
  const ns = process.hrtime.bigint();
  return `${new Date().toISOString().slice(0, 19)}.${String(ns % 1_000_000n).padStart(6, '0')}Z`;
}

function shuffled<T>(items: T[]): T[] {
  return items
    .map((item) => [Math.random(), item] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([, item]) => item);
}

function json(value: unknown, status = 200): ServiceAnswer {
  return { status, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(value)) };
}

/** What a version answers to one request (pure apart from its noise). */
export function answer(version: Version, method: string, url: string, requestBody: Buffer): ServiceAnswer {
  const [path, query = ''] = url.split('?');
  const segments = path!.split('/').filter(Boolean);
  const id = Number(segments[1]);
  let result: ServiceAnswer;
  if (method === 'GET' && segments[0] === 'users') {
    const email = version === 'candidate' && id % 5 === 0 ? `user${id}@new.example` : `user${id}@example.com`;
    result = json({ id, requestId: randomUUID(), name: `User ${id}`, email, createdAt: clock(), tags: shuffled(['admin', 'beta', 'eu']) });
  } else if (method === 'GET' && segments[0] === 'items') {
    const item: Record<string, unknown> = { sku: `sku-${id}`, price: 10 + (id % 7), currency: 'EUR', stock: id % 3 };
    if (version === 'candidate') delete item.currency;
    result = json({ item, servedAt: clock(), trace: randomUUID() });
    result.body = gzipSync(result.body);
    result.headers['content-encoding'] = 'gzip';
  } else if (method === 'GET' && segments[0] === 'orders') {
    const status = version === 'candidate' && id % 10 === 0 ? 404 : 200;
    result = json({ order: id, lines: [{ sku: `sku-${id}`, quantity: 1 + (id % 4) }], at: clock() }, status);
  } else if (method === 'GET' && path === '/search') {
    const q = new URLSearchParams(query).get('q') ?? '';
    result = json({ q, results: shuffled([`${q}-1`, `${q}-2`, `${q}-3`, `${q}-4`]), tookUs: Number(process.hrtime.bigint() % 1000n) });
    result.isChunked = true;
    if (version === 'candidate') result.delayMs = 40;
  } else if (method === 'POST' && path === '/events') {
    const event = JSON.parse(requestBody.toString() || '{}') as { type?: string };
    result = json({ accepted: true, type: event.type ?? null }, 202);
  } else {
    result = json({ error: 'not found' }, 404);
  }
  result.headers['x-request-id'] = randomUUID();
  result.headers.etag = `"${randomUUID()}"`;
  result.headers.date = new Date().toUTCString();
  return result;
}

function send(res: ServerResponse, a: ServiceAnswer): void {
  if (a.isChunked) {
    res.writeHead(a.status, a.headers);
    const half = Math.floor(a.body.length / 2);
    res.write(a.body.subarray(0, half));
    res.end(a.body.subarray(half));
    return;
  }
  res.writeHead(a.status, { ...a.headers, 'content-length': String(a.body.length) });
  res.end(a.body);
}

/** A version of the service on 127.0.0.1 (port 0), closed after the test. */
export async function startService(
  t: { after(fn: () => Promise<void>): void },
  version: Version,
): Promise<{ url: string; port: number; requests: () => number; server: Server }> {
  let requests = 0;
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      const a = answer(version, req.method!, req.url!, Buffer.concat(chunks));
      if (a.delayMs) setTimeout(() => send(res, a), a.delayMs);
      else send(res, a);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, requests: () => requests, server };
}

/** `count` requests per endpoint, interleaved (users, items, orders, search, events, users, …). */
export function trafficRequests(count: number): Array<{ method: string; url: string; body?: string }> {
  const out: Array<{ method: string; url: string; body?: string }> = [];
  for (let i = 1; i <= count; i++) {
    out.push({ method: 'GET', url: `/users/${i}` });
    out.push({ method: 'GET', url: `/items/${1000 + i}` });
    out.push({ method: 'GET', url: `/orders/${i}` });
    out.push({ method: 'GET', url: `/search?q=term${i % 7}&page=${i}` });
    out.push({ method: 'POST', url: '/events', body: JSON.stringify({ type: i % 2 ? 'click' : 'view', n: i }) });
  }
  return out;
}

function rawRequest(r: { method: string; url: string; body?: string }): Buffer {
  const body = r.body ?? '';
  const head =
    `${r.method} ${r.url} HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: recorded\r\nAccept: */*\r\n` +
    (body ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` : '') +
    '\r\n';
  return Buffer.from(head + body);
}

function rawResponse(a: ServiceAnswer): Buffer {
  const headers = Object.entries({ ...a.headers, 'content-length': String(a.body.length) })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return Buffer.concat([Buffer.from(`HTTP/1.1 ${a.status} ${a.status === 200 ? 'OK' : 'Status'}\r\n${headers}\r\n`), a.body]);
}

/**
 * The recorded traffic as .gor messages: each request, and with `withOriginals` the baseline's
 * recorded response (type 2) right after it, as a capture with --input-raw-track-response writes.
 */
export function recordedTraffic(count: number, withOriginals: boolean): Message[] {
  const start = 1_795_574_173_000_000_000n;
  return trafficRequests(count).flatMap((r, i) => {
    const id = (0x200000 + i).toString(16).padStart(24, '0');
    const timestamp = start + BigInt(i) * 1_000_000n;
    const request: Message = { kind: 'request', id, timestamp, latency: 0n, payload: rawRequest(r) };
    if (!withOriginals) return [request];
    const original = answer('baseline', r.method, r.url, Buffer.from(r.body ?? ''));
    return [request, { kind: 'response' as const, id, timestamp: timestamp + 500_000n, latency: 500_000n, payload: rawResponse(original) }];
  });
}
