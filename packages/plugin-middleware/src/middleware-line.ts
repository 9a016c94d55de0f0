/**
 * GoReplay's external middleware protocol, one message per line: the message's header line
 * (`<type> <id> <timestamp-ns> <latency-ns>\n`, type 1 request, 2 response, 3 replayed response)
 * followed by the payload, all hex-encoded, then `\n`. Pure: bytes in, bytes out.
 */
import { emptyRecordHeader, formatRecordHeader, parseRecordHeader, type Message } from '@reprise/core';

/** Encodes a batch as lines, ready to write to the middleware's stdin. */
export function encodeMiddlewareLines(batch: readonly Message[]): string {
  // One buffer and one hex conversion for the whole batch, cut at message boundaries.
  const headers = new Array<string>(batch.length);
  let total = 0;
  for (let i = 0; i < batch.length; i++) {
    const m = batch[i]!;
    const header = formatRecordHeader(m);
    headers[i] = header;
    total += header.length + m.payload.length;
  }
  const bytes = Buffer.allocUnsafe(total);
  const ends = new Array<number>(batch.length);
  let at = 0;
  for (let i = 0; i < batch.length; i++) {
    at += bytes.write(headers[i]!, at, 'latin1');
    bytes.set(batch[i]!.payload, at);
    at += batch[i]!.payload.length;
    ends[i] = at * 2;
  }
  const hex = bytes.toString('hex');
  let out = '';
  let start = 0;
  for (const end of ends) {
    out += hex.slice(start, end);
    out += '\n';
    start = end;
  }
  return out;
}

export type DecodedLine = { message: Message; error?: undefined } | { message?: undefined; error: string };

/**
 * Decodes one line (without its line break) written back by a middleware. The header line is read by
 * the core's .gor codec: the same rules as a record in a file (3 to 5 fields, 24-hex id).
 */
export function decodeMiddlewareLine(line: string): DecodedLine {
  const bytes = Buffer.from(line, 'hex');
  // Node stops decoding at the first character that is not hex: a short result means a bad line.
  if (line.length % 2 !== 0 || bytes.length * 2 !== line.length) return { error: 'not a hex-encoded message' };
  const header = emptyRecordHeader();
  const problem = parseRecordHeader(bytes, 0, bytes.length, header);
  if (problem !== undefined) {
    const nl = bytes.indexOf(10);
    return { error: `${problem} in "${bytes.toString('latin1', 0, Math.min(nl < 0 ? bytes.length : nl, 80))}"` };
  }
  const message: Message = {
    kind: header.kind,
    id: header.id,
    timestamp: header.timestamp,
    latency: header.latency,
    payload: bytes.subarray(header.payloadStart),
  };
  if (header.protocol !== undefined) message.protocol = header.protocol;
  return { message };
}

/** Splits a stream of text into lines, keeping the unfinished tail for the next chunk. */
export class LineSplitter {
  private tail = '';

  /** Returns the complete lines in this chunk, without their line breaks (and without `\r`). */
  push(chunk: string): string[] {
    const text = this.tail + chunk;
    const lines = text.split('\n');
    this.tail = lines.pop()!;
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      if (l.endsWith('\r')) lines[i] = l.slice(0, -1);
    }
    return lines;
  }

  /** The unfinished last line, if any (at end of stream). */
  end(): string {
    const rest = this.tail;
    this.tail = '';
    return rest;
  }
}
