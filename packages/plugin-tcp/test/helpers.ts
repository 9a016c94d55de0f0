/** Test helpers: components driven with core's recording context, real sockets on 127.0.0.1. */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { AnyComponentDefinition, Message } from '@reprise/core';
import { createRecordingContext, type RecordingContext } from '@reprise/core/testing';
import { validateOptions } from '@reprise/core';
import { selfSignedCertificate as certificateIn } from '../../../test/support/tls-cert.js';

export async function create<T>(t: TestContext, definition: AnyComponentDefinition, value: string, options: Record<string, unknown> = {}) {
  const ctx = createRecordingContext(definition.name);
  const validated = validateOptions(definition, options);
  const instance = (await definition.create(value, validated, ctx)) as unknown as T & { close?(): Promise<void> };
  t.after(() => instance.close?.());
  return { instance, ctx };
}

export function listeningPort(ctx: RecordingContext): number {
  const line = ctx.logs.find((l) => l.message.startsWith('listening on'));
  const m = /:(\d+)/.exec(line?.message ?? '');
  if (!m) throw new Error(`no "listening on" log in ${JSON.stringify(ctx.logs)}`);
  return Number(m[1]);
}

export function message(n: number, options: { kind?: Message['kind']; session?: string; body?: string } = {}): Message {
  const session = options.session ?? '0000000000000000';
  return {
    kind: options.kind ?? 'request',
    id: `${session}${n.toString(16).padStart(8, '0')}`,
    timestamp: 1_700_000_000_000_000_000n + BigInt(n),
    latency: 0n,
    payload: Buffer.from(options.body ?? `GET /r/${n} HTTP/1.1\r\nHost: example\r\n\r\n`),
  };
}

/** A TCP server on 127.0.0.1:0 keeping what each connection sent, closed after the test. */
export async function collectingServer(t: TestContext, port = 0) {
  const connections: Array<{ socket: Socket; bytes: Buffer[] }> = [];
  const server: Server = createServer((socket) => {
    const entry = { socket, bytes: [] as Buffer[] };
    connections.push(entry);
    socket.on('data', (chunk) => entry.bytes.push(chunk));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const close = () =>
    new Promise<void>((resolve) => {
      for (const c of connections) c.socket.destroy();
      server.close(() => resolve());
    });
  t.after(close);
  return {
    port: (server.address() as AddressInfo).port,
    connections,
    close,
    received: () => connections.map((c) => Buffer.concat(c.bytes)),
  };
}

/** A port that was free a moment ago (for a server that starts later). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A self-signed certificate for 127.0.0.1 made with openssl, in a folder removed after the test. */
export function selfSignedCertificate(t: TestContext): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-tcp-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return certificateIn(dir);
}

export async function waitFor(condition: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
