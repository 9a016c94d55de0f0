/**
 * A tiny deterministic shop for the compare tests that read their candidate from the input or from
 * NATS: GET /price/<n> and GET /user/<n> answer fixed JSON (no noise), and the candidate's price is
 * one higher — the one injected difference (`GET /price/:id body.price value`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Message } from '@reprise/core';

export type ShopVersion = 'baseline' | 'candidate';
export const INJECTED_PRICE_DIFFERENCE = 'GET /price/:id body.price changed';

export function shopBody(version: ShopVersion, path: string): string {
  const [, kind, n] = /^\/(price|user)\/(\d+)$/.exec(path) ?? [];
  if (kind === 'price')
    return JSON.stringify({ sku: Number(n), price: 100 + Number(n) + (version === 'candidate' ? 1 : 0), currency: 'EUR' });
  if (kind === 'user') return JSON.stringify({ id: Number(n), name: `user ${n}` });
  return JSON.stringify({ error: 'not found' });
}

function httpResponse(body: string): Uint8Array {
  return new TextEncoder().encode(
    `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * `count` requests per endpoint, interleaved, each followed by the baseline's recorded response
 * (type 2); with `replayed`, the candidate's response (type 3) too, as a replay with
 * --output-http-track-response records it. Client ports below and above the server's (8080).
 */
export function shopTraffic(count: number, options: { replayed?: boolean } = {}): Message[] {
  const start = 1_795_574_173_000_000_000n;
  const out: Message[] = [];
  for (let i = 0; i < count * 2; i++) {
    const path = i % 2 === 0 ? `/price/${i}` : `/user/${i}`;
    const clientPort = (i % 3 === 0 ? 0x0400 + i : 0xe000 + i).toString(16).padStart(4, '0');
    const id = `${clientPort}1f900100007f${(i + 1).toString(16).padStart(8, '0')}`;
    const timestamp = start + BigInt(i) * 2_000_000n;
    out.push({
      kind: 'request',
      id,
      timestamp,
      latency: 0n,
      payload: new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: shop\r\n\r\n`),
    });
    out.push({
      kind: 'response',
      id,
      timestamp: timestamp + 1_000_000n,
      latency: 1_000_000n,
      payload: httpResponse(shopBody('baseline', path)),
    });
    if (options.replayed)
      out.push({
        kind: 'replayed-response',
        id,
        timestamp: timestamp + 1_500_000n,
        latency: 1_200_000n,
        payload: httpResponse(shopBody('candidate', path)),
      });
  }
  return out;
}

/** The candidate on 127.0.0.1 (port 0), closed after the test. */
export async function startShop(
  t: { after(fn: () => Promise<void>): void },
  version: ShopVersion,
): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests++;
      res.setHeader('Content-Type', 'application/json');
      res.end(shopBody(version, req.url ?? '/'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests };
}
