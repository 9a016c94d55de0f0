// Test helpers: core's recording context, and a local HTTP server.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Message } from '@reprise/core';
import { createRecordingContext, type RecordingContext } from '@reprise/core/testing';

export type TestContext = RecordingContext;

export function makeContext(component = 'input-raw'): TestContext {
  return createRecordingContext(component);
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** An HTTP server on 127.0.0.1, port 0, that answers "ok:<body length>" and records requests. */
export async function startServer(): Promise<{ server: Server; port: number; received: ReceivedRequest[] }> {
  const received: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const answer = `ok:${body.length}`;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(answer.length) });
      res.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, received };
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export function text(m: Message): string {
  return Buffer.from(m.payload).toString('latin1');
}

/** Reads batches until `until` says enough or `timeoutMs` passes; then aborts. */
export async function collect(
  read: AsyncIterable<Message[]>,
  until: (all: Message[]) => boolean,
  stop: () => void,
  timeoutMs = 10_000,
): Promise<Message[]> {
  const all: Message[] = [];
  const timer = setTimeout(stop, timeoutMs);
  try {
    for await (const batch of read) {
      all.push(...batch);
      if (until(all)) stop();
    }
  } finally {
    clearTimeout(timer);
  }
  return all;
}
