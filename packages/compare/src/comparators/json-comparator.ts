/**
 * JSON bodies compared structurally (json-compare-values.ts). The baseline's body is checked and
 * laid out (parsed-json.ts); the other one is compared with it as bytes and parsed only where it
 * differs (json-byte-diff.ts).
 */
import { defineComparator } from '../comparator.js';
import { diffJsonBytes } from './json-byte-diff.js';
import { compareValues } from './json-compare-values.js';
import { type ParsedJson, readJson } from './parsed-json.js';

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;

export const jsonComparator = defineComparator<ParsedJson>({
  name: 'json',
  summary: 'JSON bodies, structurally',
  matches(contentType, body) {
    if (contentType.includes('json')) return true;
    if (contentType !== '' && contentType !== 'text/plain') return false;
    const first = firstNonSpace(body);
    return first === OPEN_BRACE || first === OPEN_BRACKET;
  },
  parse: readJson,
  compare(baseline, candidate, emit) {
    compareValues(baseline.value, candidate.value, '', emit);
  },
  compareBytes: diffJsonBytes,
});

function firstNonSpace(body: Uint8Array): number | undefined {
  for (let i = 0; i < body.length; i++) {
    const b = body[i]!;
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return b;
  }
  return undefined;
}
