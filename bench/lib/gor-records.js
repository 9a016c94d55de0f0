// Counts request records (type 1) in .gor files by their framing alone, so files written by reprise and by
// GoReplay are counted alike.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const GOR_SEPARATOR = Buffer.from('\n🐵🙈🙉\n');

/** Request records in one .gor file. */
export function countGorFileRequests(file) {
  const bytes = readFileSync(file);
  let n = 0;
  let at = 0;
  while (at < bytes.length) {
    if (bytes[at] === 0x31 && bytes[at + 1] === 0x20) n++;
    const next = bytes.indexOf(GOR_SEPARATOR, at);
    if (next < 0) break;
    at = next + GOR_SEPARATOR.length;
  }
  return n;
}

/** Request records in every .gor file of `dir`. */
export function countGorRequests(dir) {
  let n = 0;
  for (const name of readdirSync(dir)) if (name.endsWith('.gor')) n += countGorFileRequests(join(dir, name));
  return n;
}
