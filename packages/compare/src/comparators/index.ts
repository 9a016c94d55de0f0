import { binaryComparator } from './binary-comparator.js';
import { grpcComparator } from './grpc-comparator.js';
import { jsonComparator } from './json-comparator.js';
import { protobufComparator } from './protobuf-comparator.js';
import { textComparator } from './text-comparator.js';

export { binaryComparator, grpcComparator, jsonComparator, protobufComparator, textComparator };

/** Tried last, in this order, after plugin comparators (grpc and protobuf match their content types only). */
export const BUILT_IN_COMPARATORS = [grpcComparator, protobufComparator, jsonComparator, textComparator, binaryComparator] as const;
