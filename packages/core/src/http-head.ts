/**
 * A minimal HTTP/1.x head parser over raw bytes: start line and headers, in order.
 * Used where a message is inspected (replay, filters, stdout); TCP framing lives in plugin-raw.
 */
export interface HttpHead {
  /** `GET /path HTTP/1.1` → ['GET', '/path', 'HTTP/1.1']; `HTTP/1.1 200 OK` → ['HTTP/1.1', '200', 'OK']. */
  startLine: [string, string, string];
  /** Header names and values as written (names keep their case), in order. */
  headers: Array<[string, string]>;
  /** Offset of the first body byte (just after the blank line). */
  bodyOffset: number;
}

const CR = 13;
const LF = 10;

/** Index just past the `\r\n\r\n` (or `\n\n`) ending the head, or -1 if it is not complete. */
export function findHeadEnd(bytes: Uint8Array, from = 0): number {
  // indexOf is native (a memchr): on the replay path this beats a byte loop over long header lines.
  let at = bytes.indexOf(LF, from);
  while (at >= 0) {
    const next = bytes[at + 1];
    if (next === LF) return at + 2;
    if (next === CR && bytes[at + 2] === LF) return at + 3;
    at = bytes.indexOf(LF, at + 1);
  }
  return -1;
}

/** Parses the head, or returns undefined when the bytes hold no complete head. */
export function parseHttpHead(bytes: Uint8Array): HttpHead | undefined {
  const end = findHeadEnd(bytes);
  if (end < 0) return undefined;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('latin1');
  const lines = text.split(/\r?\n/);
  const first = lines[0] ?? '';
  const sp1 = first.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : first.indexOf(' ', sp1 + 1);
  const startLine: [string, string, string] =
    sp1 < 0
      ? [first, '', '']
      : sp2 < 0
        ? [first.slice(0, sp1), first.slice(sp1 + 1), '']
        : [first.slice(0, sp1), first.slice(sp1 + 1, sp2), first.slice(sp2 + 1)];
  const headers: Array<[string, string]> = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return { startLine, headers, bodyOffset: end };
}

/** The first value of a header, case-insensitively. */
export function headerValue(headers: ReadonlyArray<[string, string]>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of headers) if (key.toLowerCase() === lower) return value;
  return undefined;
}
