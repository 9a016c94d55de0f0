/**
 * gRPC bodies (`application/grpc`, `application/grpc+proto`): the length-prefixed messages are
 * split, decompressed per `grpc-encoding` and decoded as protobuf without a schema. A streaming
 * response's messages are compared in order, index by index, and their fields folded into the same
 * paths as a unary message's (`body.2.1`), like elements of an array; a different number of
 * messages is `body[]` (missing or extra). A body that is not whole messages (truncated, an unknown
 * grpc-encoding, not protobuf) keeps the messages before the problem, and the problem is compared
 * as `body`; a message that is not protobuf is also compared by its bytes there, so two services
 * answering different non-protobuf payloads still differ.
 */
import { readGrpcMessages } from '@reprise/core';
import { defineComparator } from '../comparator.js';
import { binaryComparator } from './binary-comparator.js';
import { compareProtoFields } from './protobuf-diff.js';
import { decodeProtobuf, type ProtoFields, protoFieldsJson } from './protobuf-fields.js';

export interface GrpcBody {
  messages: ProtoFields[];
  /** Why the body could not be read to its end, naming the byte offset or message. */
  problem?: string;
  /** The message that is not protobuf, as a hash and size (compared when both sides have the same problem). */
  undecoded?: string;
}

const WELL_FORMED = 'whole gRPC messages';

export const grpcComparator = defineComparator<GrpcBody>({
  name: 'grpc',
  summary: 'gRPC messages, protobuf by field number without .proto files',
  matches: (contentType) => contentType === 'application/grpc' || contentType === 'application/grpc+proto',
  parse(body, headers) {
    const read = readGrpcMessages(body, headers.get('grpc-encoding'));
    const messages: ProtoFields[] = [];
    for (const [index, bytes] of read.messages.entries()) {
      try {
        messages.push(decodeProtobuf(bytes));
      } catch (error) {
        const problem = `gRPC message ${index} is not a protobuf message: ${(error as Error).message}`;
        return { messages, problem, undecoded: binaryComparator.parse!(bytes, headers) as string };
      }
    }
    return read.error ? { messages, problem: read.error.detail } : { messages };
  },
  compare(baseline, candidate, emit) {
    const a = baseline.messages;
    const b = candidate.messages;
    const common = Math.min(a.length, b.length);
    for (let i = 0; i < common; i++) compareProtoFields(a[i]!, b[i]!, '', emit);
    if (a.length > common) emit('[]', 'missing', protoFieldsJson(a[common]!), undefined);
    else if (b.length > common) emit('[]', 'extra', undefined, protoFieldsJson(b[common]!));
    if (baseline.problem !== candidate.problem) emit('', 'changed', baseline.problem ?? WELL_FORMED, candidate.problem ?? WELL_FORMED);
    else if (baseline.undecoded !== candidate.undecoded) emit('', 'changed', baseline.undecoded, candidate.undecoded);
  },
});
