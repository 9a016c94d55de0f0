import { binaryComparator } from './binary-comparator.js';
import { jsonComparator } from './json-comparator.js';
import { textComparator } from './text-comparator.js';

export { binaryComparator, jsonComparator, textComparator };

/** Tried last, in this order, after plugin comparators. */
export const BUILT_IN_COMPARATORS = [jsonComparator, textComparator, binaryComparator] as const;
