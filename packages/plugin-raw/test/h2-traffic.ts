// Real HTTP/2 bytes for tests: Node's http2 client and h2c server talk through a TCP relay on
// 127.0.0.1 that records each direction's chunks in the order it saw them.
import {
  connect,
  createServer as createH2Server,
  type ClientHttp2Session,
  type Http2Server,
  type ServerHttp2Stream,
  type IncomingHttpHeaders,
  type SecureServerOptions,
} from 'node:http2';
import { createServer as createTcpServer, connect as tcpConnect, type AddressInfo, type Socket } from 'node:net';

export interface RecordedChunk {
  side: 'client' | 'server';
  bytes: Buffer;
}

export interface H2Scenario {
  /** Answers each stream; default: 200 with "ok:<path>". */
  onStream?: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, body: Buffer) => void;
  serverOptions?: SecureServerOptions;
  /** Drives the client; resolves when done. */
  run(client: ClientHttp2Session): Promise<void>;
}

export async function recordH2(scenario: H2Scenario): Promise<RecordedChunk[]> {
  const chunks: RecordedChunk[] = [];
  const server: Http2Server = createH2Server(scenario.serverOptions ?? {});
  server.on('stream', (stream, headers) => {
    const parts: Buffer[] = [];
    stream.on('data', (d: Buffer) => parts.push(d));
    stream.on('end', () => {
      if (stream.destroyed || stream.closed) return;
      const body = Buffer.concat(parts);
      if (scenario.onStream) scenario.onStream(stream, headers, body);
      else {
        stream.respond({ ':status': 200, 'content-type': 'text/plain' });
        stream.end(`ok:${headers[':path']}`);
      }
    });
    stream.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const serverPort = (server.address() as AddressInfo).port;
  const sockets: Socket[] = [];
  const relay = createTcpServer((downstream) => {
    const upstream = tcpConnect(serverPort, '127.0.0.1');
    sockets.push(downstream, upstream);
    downstream.on('data', (d: Buffer) => {
      chunks.push({ side: 'client', bytes: Buffer.from(d) });
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      chunks.push({ side: 'server', bytes: Buffer.from(d) });
      downstream.write(d);
    });
    downstream.on('error', () => upstream.destroy());
    upstream.on('error', () => downstream.destroy());
    downstream.on('close', () => upstream.end());
    upstream.on('close', () => downstream.end());
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const client = connect(`http://127.0.0.1:${(relay.address() as AddressInfo).port}`);
  client.on('error', () => {});
  try {
    await scenario.run(client);
    // Let the last frames (acks, trailers) cross the relay before closing.
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => relay.close(() => resolve()));
  }
  return chunks;
}

/** One request on the client session; resolves with the status and body. */
export function h2Request(
  client: ClientHttp2Session,
  headers: Record<string, string | string[]>,
  body?: Buffer | string,
): Promise<{ status: number; body: Buffer; trailers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = client.request(headers, { endStream: body === undefined });
    const parts: Buffer[] = [];
    let status = 0;
    let trailers: IncomingHttpHeaders = {};
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => resolve({ status, body: Buffer.concat(parts), trailers }));
    req.on('error', reject);
    if (body !== undefined) req.end(body);
  });
}
