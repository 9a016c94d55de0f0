/** A Node http2 (h2c) test server on 127.0.0.1 whose handler gets each stream with its whole request body. */
import { createServer, type Http2Server, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';

export async function h2cTestServer(
  t: { after(fn: () => Promise<void>): void },
  onRequest: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, body: Buffer) => void,
): Promise<{ port: number; server: Http2Server }> {
  const server = createServer();
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  server.on('stream', (stream, headers) => {
    const parts: Buffer[] = [];
    stream.on('error', () => {});
    stream.on('data', (d: Buffer) => parts.push(d));
    stream.on('end', () => onRequest(stream, headers, Buffer.concat(parts)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    // close() waits for every session: end them first.
    for (const session of sessions) session.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as AddressInfo).port, server };
}
