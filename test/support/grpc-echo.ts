// A @grpc/grpc-js server without .proto files for the HTTP/2 tests: messages are raw bytes, and the
// `test.Echo` service answers a unary call, a server stream and a Trailers-Only error.
import type { TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';

/** Messages go through unchanged: bytes in, bytes out. */
export const raw = { serialize: (b: Buffer) => b, deserialize: (b: Buffer) => b };

/** A method definition of raw bytes (no request streaming). */
export function rawMethod(path: string, responseStream: boolean) {
  return {
    path,
    requestStream: false,
    responseStream,
    requestSerialize: raw.serialize,
    requestDeserialize: raw.deserialize,
    responseSerialize: raw.serialize,
    responseDeserialize: raw.deserialize,
  };
}

/** Binds a gRPC server on 127.0.0.1 (insecure: h2c), shut down after the test. */
export async function listenGrpc(t: TestContext, server: grpc.Server): Promise<number> {
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
  );
  t.after(() => server.forceShutdown());
  return port;
}

export interface GrpcCall {
  path: string;
  request: Buffer;
}

/**
 * `test.Echo`: Echo answers `<echoPrefix><request>`, Count streams `n0`, `n1`, `n2`, Fail answers
 * NOT_FOUND "no such thing" (Trailers-Only). Every call is kept in `seen`, in arrival order.
 */
export async function startEchoGrpcServer(t: TestContext, echoPrefix = 'echo:'): Promise<{ port: number; seen: GrpcCall[] }> {
  const seen: GrpcCall[] = [];
  const server = new grpc.Server();
  server.addService(
    { Echo: rawMethod('/test.Echo/Echo', false), Count: rawMethod('/test.Echo/Count', true), Fail: rawMethod('/test.Echo/Fail', false) },
    {
      Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        seen.push({ path: '/test.Echo/Echo', request: call.request });
        callback(null, Buffer.concat([Buffer.from(echoPrefix), call.request]));
      },
      Count: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
        seen.push({ path: '/test.Echo/Count', request: call.request });
        for (let i = 0; i < 3; i++) call.write(Buffer.from(`n${i}`));
        call.end();
      },
      Fail: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        seen.push({ path: '/test.Echo/Fail', request: call.request });
        callback({ code: grpc.status.NOT_FOUND, details: 'no such thing' });
      },
    },
  );
  return { port: await listenGrpc(t, server), seen };
}
