/** Any other body compared by its SHA-256: the field is `body`, examples show hash and size. */
import { createHash } from 'node:crypto';
import { defineComparator } from '../comparator.js';

export const binaryComparator = defineComparator<string>({
  name: 'binary',
  summary: 'binary bodies, by hash',
  matches: () => true,
  parse(body) {
    if (body.byteLength === 0) return 'empty';
    return `sha256:${createHash('sha256').update(body).digest('hex').slice(0, 16)} (${body.byteLength} bytes)`;
  },
  compare(baseline, candidate, emit) {
    if (baseline !== candidate) emit('', 'changed', baseline, candidate);
  },
});
