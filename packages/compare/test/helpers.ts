/** Builders of constructed messages and exchanges for the analyzer's tests. */
import { gzipSync } from 'node:zlib';
import type { Message } from '@reprise/core';
import type { Exchange } from '../src/exchange.js';

let counter = 0;

export function nextId(): string {
  counter++;
  return counter.toString(16).padStart(24, '0');
}

export function request(method: string, target: string, id = nextId()): Message {
  return { kind: 'request', id, timestamp: 1n, latency: 0n, payload: Buffer.from(`${method} ${target} HTTP/1.1\r\nHost: example\r\n\r\n`) };
}

export interface ResponseSpec {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer | object;
  /** Milliseconds. */
  latencyMs?: number;
  gzip?: boolean;
  chunked?: boolean;
  kind?: Message['kind'];
}

export function response(spec: ResponseSpec = {}, id = '0'.repeat(24)): Message {
  const status = spec.status ?? 200;
  let body: Buffer =
    spec.body === undefined
      ? Buffer.alloc(0)
      : Buffer.isBuffer(spec.body)
        ? spec.body
        : Buffer.from(typeof spec.body === 'string' ? spec.body : JSON.stringify(spec.body));
  const headers: Record<string, string> = { ...(spec.headers ?? {}) };
  if (spec.body !== undefined && typeof spec.body === 'object' && !Buffer.isBuffer(spec.body))
    headers['Content-Type'] ??= 'application/json';
  if (spec.gzip) {
    body = gzipSync(body);
    headers['Content-Encoding'] = 'gzip';
  }
  if (spec.chunked) {
    const half = Math.floor(body.length / 2);
    body = Buffer.concat([
      Buffer.from(`${half.toString(16)}\r\n`),
      body.subarray(0, half),
      Buffer.from(`\r\n${(body.length - half).toString(16)}\r\n`),
      body.subarray(half),
      Buffer.from('\r\n0\r\n\r\n'),
    ]);
    headers['Transfer-Encoding'] = 'chunked';
  } else headers['Content-Length'] = String(body.length);
  const head = `HTTP/1.1 ${status} X\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
  return {
    kind: spec.kind ?? 'replayed-response',
    id,
    timestamp: 2n,
    latency: BigInt(Math.round((spec.latencyMs ?? 1) * 1e6)),
    payload: Buffer.concat([Buffer.from(head), body]),
  };
}

/** An exchange with one or two baseline responses and one or two candidate responses. */
export function exchange(method: string, target: string, baseline: ResponseSpec[], candidate: ResponseSpec[]): Exchange {
  const req = request(method, target);
  return {
    id: req.id,
    request: req,
    baseline: baseline.map((s) => response(s, req.id)),
    candidate: candidate.map((s) => response(s, req.id)),
  };
}
