/** gRPC responses as the capture records them (HTTP/1.1-shaped, trailers in a chunked trailer section), built from protobuf bytes. */
import { gzipSync } from 'node:zlib';
import type { Message } from '@reprise/core';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import type { Exchange } from '../src/exchange.js';
import { request } from './helpers.js';

export interface GrpcResponseSpec {
  /** Protobuf messages (several: a server stream). */
  messages?: Uint8Array[];
  /** grpc-status (default 0). */
  status?: number;
  grpcMessage?: string;
  /** The status in the only header block, no body (how servers answer most errors). */
  trailersOnly?: boolean;
  /** Every message gzip-compressed, with grpc-encoding: gzip. */
  gzip?: boolean;
  /** grpc-encoding sent as is, messages flagged compressed but left as they are. */
  encoding?: string;
  latencyMs?: number;
}

/** A length-prefixed gRPC body. */
export function grpcBody(messages: Uint8Array[], compress?: (m: Uint8Array) => Uint8Array): Buffer {
  return Buffer.concat(
    messages.map((m) => {
      const data = compress ? compress(m) : m;
      const prefix = Buffer.alloc(5);
      prefix[0] = compress ? 1 : 0;
      prefix.writeUInt32BE(data.length, 1);
      return Buffer.concat([prefix, data]);
    }),
  );
}

export function grpcResponse(spec: GrpcResponseSpec, id: string): Message {
  const status = `grpc-status: ${spec.status ?? 0}\r\n${spec.grpcMessage === undefined ? '' : `grpc-message: ${spec.grpcMessage}\r\n`}`;
  let head = 'HTTP/1.1 200 OK\r\ncontent-type: application/grpc\r\n';
  let body: Buffer;
  if (spec.trailersOnly) {
    head += `${status}content-length: 0\r\n\r\n`;
    body = Buffer.alloc(0);
  } else {
    const encoding = spec.gzip ? 'gzip' : spec.encoding;
    const compress = spec.gzip ? (m: Uint8Array) => gzipSync(m) : spec.encoding ? (m: Uint8Array) => m : undefined;
    const framed = grpcBody(spec.messages ?? [], compress);
    head += `${encoding ? `grpc-encoding: ${encoding}\r\n` : ''}transfer-encoding: chunked\r\n\r\n`;
    const chunk =
      framed.length > 0 ? Buffer.concat([Buffer.from(`${framed.length.toString(16)}\r\n`), framed, Buffer.from('\r\n')]) : Buffer.alloc(0);
    body = Buffer.concat([chunk, Buffer.from(`0\r\n${status}\r\n`)]);
  }
  return {
    kind: 'replayed-response',
    id,
    timestamp: 2n,
    latency: BigInt(Math.round((spec.latencyMs ?? 1) * 1e6)),
    payload: Buffer.concat([Buffer.from(head), body]),
    protocol: 'h2c',
  };
}

export function grpcExchange(path: string, baseline: GrpcResponseSpec[], candidate: GrpcResponseSpec[]): Exchange {
  const req = request('POST', path);
  return {
    id: req.id,
    request: req,
    baseline: baseline.map((s) => grpcResponse(s, req.id)),
    candidate: candidate.map((s) => grpcResponse(s, req.id)),
  };
}

/** A message `{1: id (string), 2: {1: name, 2: count (varint)}, 3: [tags…]}` written with BinaryWriter. */
export function userMessage(fields: { id?: string; name?: string; count?: number; tags?: string[] }): Uint8Array {
  const w = new BinaryWriter();
  if (fields.id !== undefined) w.tag(1, WireType.LengthDelimited).string(fields.id);
  w.tag(2, WireType.LengthDelimited).fork();
  w.tag(1, WireType.LengthDelimited).string(fields.name ?? 'ada');
  w.tag(2, WireType.Varint).int64(fields.count ?? 1);
  w.join();
  for (const tag of fields.tags ?? []) w.tag(3, WireType.LengthDelimited).string(tag);
  return w.finish();
}
