/**
 * gRPC's length-prefixed messages (gRPC over HTTP/2: a 1-byte compressed flag, a 4-byte big-endian
 * length, the message), split from a body fed in chunks, and decompressed per `grpc-encoding`.
 * Pure: tested on bytes. In core, beside dechunk, because it is body framing that plugins (which
 * depend on core alone) need as much as the regression analysis does.
 */
import { gunzipSync, inflateSync } from 'node:zlib';
import { RepriseError } from './errors.js';

export interface GrpcMessage {
  /** The compressed flag was set: `data` is still compressed with the stream's `grpc-encoding`. */
  compressed: boolean;
  data: Uint8Array;
  /** Where the message's 5-byte prefix starts in the body. */
  offset: number;
}

export interface GrpcSplit {
  /** The whole messages, in order; on an error, those before it. */
  messages: GrpcMessage[];
  /** Why splitting stopped (`RPR_GRPC_FRAMING`, naming the byte offset); nothing is split after it. */
  error?: RepriseError;
}

/** gRPC's default limit on a received message (4 MiB); a larger length prefix is taken as corrupt framing. */
export const GRPC_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

const PREFIX_BYTES = 5;

/** Splits a body fed chunk by chunk; a message may span chunks. */
export class GrpcMessageSplitter {
  private parts: Uint8Array[] = [];
  private buffered = 0;
  /** Body offset of the first buffered byte. */
  private offset = 0;
  private failure: RepriseError | undefined;

  constructor(private readonly maxMessageBytes = GRPC_MAX_MESSAGE_BYTES) {}

  push(chunk: Uint8Array): GrpcSplit {
    if (this.failure) return { messages: [], error: this.failure };
    if (chunk.length > 0) {
      this.parts.push(chunk);
      this.buffered += chunk.length;
    }
    const messages: GrpcMessage[] = [];
    while (this.buffered >= PREFIX_BYTES) {
      const prefix = this.peek(PREFIX_BYTES);
      const flag = prefix[0]!;
      const length = ((prefix[1]! << 24) | (prefix[2]! << 16) | (prefix[3]! << 8) | prefix[4]!) >>> 0;
      if (flag > 1) return this.fail(messages, `compressed flag ${flag} (must be 0 or 1)`);
      if (length > this.maxMessageBytes) {
        return this.fail(messages, `a length prefix of ${length} bytes, over the ${this.maxMessageBytes}-byte limit`);
      }
      if (this.buffered < PREFIX_BYTES + length) break;
      const bytes = this.take(PREFIX_BYTES + length);
      messages.push({ compressed: flag === 1, data: bytes.subarray(PREFIX_BYTES), offset: this.offset });
      this.offset += PREFIX_BYTES + length;
    }
    return { messages };
  }

  /** The body ended: an error when a message is incomplete. */
  end(): RepriseError | undefined {
    if (this.failure || this.buffered === 0) return this.failure;
    if (this.buffered < PREFIX_BYTES) {
      this.failure = framingError(`truncated length prefix at byte ${this.offset}: ${this.buffered} of ${PREFIX_BYTES} bytes`);
    } else {
      const prefix = this.peek(PREFIX_BYTES);
      const length = ((prefix[1]! << 24) | (prefix[2]! << 16) | (prefix[3]! << 8) | prefix[4]!) >>> 0;
      this.failure = framingError(
        `truncated message at byte ${this.offset}: ${this.buffered - PREFIX_BYTES} of the ${length} bytes its prefix announces`,
      );
    }
    return this.failure;
  }

  private fail(messages: GrpcMessage[], what: string): GrpcSplit {
    this.failure = framingError(`${what} at byte ${this.offset}`);
    this.parts = [];
    this.buffered = 0;
    return { messages, error: this.failure };
  }

  /** The first n buffered bytes, without consuming them. */
  private peek(n: number): Uint8Array {
    const first = this.parts[0]!;
    if (first.length >= n) return first.subarray(0, n);
    this.parts = [concat(this.parts, this.buffered)];
    return this.parts[0]!.subarray(0, n);
  }

  /** Consumes the first n buffered bytes (a view when they lie in one chunk). */
  private take(n: number): Uint8Array {
    if (this.parts[0]!.length < n) this.parts = [concat(this.parts, this.buffered)];
    const first = this.parts[0]!;
    const out = first.subarray(0, n);
    if (first.length === n) this.parts.shift();
    else this.parts[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }
}

/** Splits a whole body; a truncated end is the result's error, the messages before it kept. */
export function splitGrpcMessages(body: Uint8Array, maxMessageBytes = GRPC_MAX_MESSAGE_BYTES): GrpcSplit {
  const splitter = new GrpcMessageSplitter(maxMessageBytes);
  const split = splitter.push(body);
  if (split.error) return split;
  const error = splitter.end();
  return error ? { messages: split.messages, error } : split;
}

/**
 * A message's bytes with its compression removed. `grpcEncoding` is the stream's `grpc-encoding`
 * header (absent = identity). Throws RPR_GRPC_FRAMING for an encoding other than gzip, deflate or
 * identity, a compressed message on an identity stream, or bytes that do not decompress.
 */
export function decompressGrpcMessage(
  message: GrpcMessage,
  grpcEncoding: string | undefined,
  maxMessageBytes = GRPC_MAX_MESSAGE_BYTES,
): Uint8Array {
  if (!message.compressed) return message.data;
  const encoding = (grpcEncoding ?? 'identity').trim().toLowerCase();
  const where = `the message at byte ${message.offset}`;
  if (encoding === 'identity') throw framingError(`${where} is flagged compressed but grpc-encoding is identity (or absent)`);
  if (encoding !== 'gzip' && encoding !== 'deflate') {
    throw framingError(`${where} is compressed with grpc-encoding "${encoding}", which is not decoded (gzip, deflate and identity are)`);
  }
  try {
    const options = { maxOutputLength: maxMessageBytes };
    return encoding === 'gzip' ? gunzipSync(message.data, options) : inflateSync(message.data, options);
  } catch (error) {
    throw framingError(`${where} does not decompress as ${encoding}: ${(error as Error).message}`);
  }
}

export interface GrpcDecodedMessages {
  /** Each whole message's bytes, decompressed, in order; on an error, those before it. */
  messages: Uint8Array[];
  error?: RepriseError;
}

/** Splits a whole body and decompresses each message: what a reader of gRPC payloads wants. */
export function readGrpcMessages(body: Uint8Array, grpcEncoding: string | undefined): GrpcDecodedMessages {
  const split = splitGrpcMessages(body);
  const messages: Uint8Array[] = [];
  for (const message of split.messages) {
    try {
      messages.push(decompressGrpcMessage(message, grpcEncoding));
    } catch (error) {
      return { messages, error: error as RepriseError };
    }
  }
  return split.error ? { messages, error: split.error } : { messages };
}

function framingError(message: string): RepriseError {
  return new RepriseError('RPR_GRPC_FRAMING', `gRPC body: ${message}`);
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
