/** Bare protobuf bodies (`application/x-protobuf`, `application/protobuf`): one message, by field number. */
import { defineComparator } from '../comparator.js';
import { compareProtoFields } from './protobuf-diff.js';
import { decodeProtobuf, type ProtoFields } from './protobuf-fields.js';

export const protobufComparator = defineComparator<ProtoFields>({
  name: 'protobuf',
  summary: 'protobuf bodies by field number, without .proto files',
  matches: (contentType) => contentType === 'application/x-protobuf' || contentType === 'application/protobuf',
  parse: (body) => decodeProtobuf(body),
  compare: (baseline, candidate, emit) => compareProtoFields(baseline, candidate, '', emit),
});
