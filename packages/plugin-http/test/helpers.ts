/** Test helpers: a PluginContext that records counters and emitted messages, and request builders. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import type { Message, OutputInstance, PluginContext } from '@reprise/core';
import { outputHttp } from '../src/output-http.js';

/** The validated options output-http receives (derived from its schema). */
type OutputHttpOptions = Parameters<typeof outputHttp.create>[1];

export interface RecordingContext extends PluginContext {
  counters: Record<string, number>;
  emitted: Message[][];
  warnings: string[];
  infos: string[];
}

export function makeContext(extra: { sessions?: boolean } = {}): RecordingContext {
  const counters: Record<string, number> = {};
  const emitted: Message[][] = [];
  const warnings: string[] = [];
  const infos: string[] = [];
  return {
    ...extra,
    component: 'output-http',
    instance: 'output-http test',
    logger: { debug() {}, info: (m: string) => infos.push(m), warn: (m: string) => warnings.push(m), error() {}, print() {} },
    stats: {
      add(counter: string, n = 1) {
        counters[counter] = (counters[counter] ?? 0) + n;
      },
    },
    signal: new AbortController().signal,
    emit(batch: Message[]) {
      emitted.push(batch);
    },
    counters,
    emitted,
    warnings,
    infos,
  };
}

/** The option defaults from the component's own schema, as the core would fill them. */
export function defaultOptions(): OutputHttpOptions {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(outputHttp.options.properties)) out[name] = schema.default;
  return out as unknown as OutputHttpOptions;
}

/** Creates the component against `url` and closes it when the test ends. */
export async function createOutput(
  t: TestContext,
  url: string,
  options: Partial<OutputHttpOptions> = {},
  context: { sessions?: boolean } = {},
): Promise<{ output: OutputInstance; ctx: RecordingContext }> {
  const ctx = makeContext(context);
  const output = await outputHttp.create(url, { ...defaultOptions(), ...options }, ctx);
  t.after(() => output.close?.());
  return { output, ctx };
}

let nextId = 1;

export function requestMessage(raw: string | Buffer): Message {
  const id = (nextId++).toString(16).padStart(24, '0');
  return {
    kind: 'request',
    id,
    timestamp: BigInt(Date.now()) * 1_000_000n,
    latency: 0n,
    payload: typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw,
  };
}

export interface SeenRequest {
  method: string;
  url: string;
  rawHeaders: string[];
  body: Buffer;
}

/** A real HTTP server on 127.0.0.1:0 that records each request, closed when the test ends. */
export async function startRecordingServer(
  t: TestContext,
  respond: (req: IncomingMessage, res: ServerResponse, seen: SeenRequest) => void = (_req, res) => res.end('ok'),
): Promise<{ url: string; port: number; seen: SeenRequest[]; server: Server }> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = { method: req.method!, url: req.url!, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks) };
      seen.push(entry);
      respond(req, res, entry);
    });
  });
  const port = await listenUntilDone(t, server);
  return { url: `http://127.0.0.1:${port}`, port, seen, server };
}

/** Listens on 127.0.0.1:0 and closes the server, its connections included, when the test ends; resolves to the port. */
export async function listenUntilDone(t: TestContext, server: Server | HttpsServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** A port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The header names and values the server saw, as pairs. */
export function headerPairs(rawHeaders: string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < rawHeaders.length; i += 2) pairs.push([rawHeaders[i]!, rawHeaders[i + 1]!]);
  return pairs;
}

/** Whether a promise has settled after pending I/O callbacks had a chance to run. */
export async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  return settled;
}
