/** Text bodies (HTML, XML, plain text, forms) compared as whole strings: the field is `body`. */
import { defineComparator } from '../comparator.js';

const TEXT_TYPE = /^text\/|xml|html|javascript|x-www-form-urlencoded|csv|yaml/;

export const textComparator = defineComparator<string>({
  name: 'text',
  summary: 'text and HTML bodies, as text',
  matches(contentType, body) {
    if (contentType !== '') return TEXT_TYPE.test(contentType);
    return looksLikeText(body);
  },
  parse(body) {
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  },
  compare(baseline, candidate, emit) {
    if (baseline !== candidate) emit('', 'changed', baseline, candidate);
  },
});

/** No NUL and no invalid UTF-8 in the first 512 bytes. */
function looksLikeText(body: Uint8Array): boolean {
  const sample = Buffer.from(body.buffer, body.byteOffset, Math.min(body.byteLength, 512));
  if (sample.includes(0)) return false;
  return !sample.toString('utf8').includes('\uFFFD');
}
