/**
 * A JSON body as the json comparator holds it: checked and laid out in one pass (json-layout.ts),
 * turned into objects only when asked (`value`). Comparing it with another body byte-wise
 * (json-byte-diff.ts) needs no objects, so most bodies are never parsed by JSON.parse.
 */
import { JsonLayout, utf8 } from './json-layout.js';

export class ParsedJson {
  private parsed: unknown;
  private isParsed = false;

  constructor(readonly bytes: Buffer) {}

  /** The body as JSON.parse gives it. */
  get value(): unknown {
    if (!this.isParsed) {
      this.parsed = JSON.parse(utf8(this.bytes, 0, this.bytes.length));
      this.isParsed = true;
    }
    return this.parsed;
  }
}

/**
 * One layout, reused body after body (no garbage per body): the analyzer compares one baseline
 * body with two others in a row, so it is laid out once for both.
 */
const shared = new JsonLayout();
let laidOut: ParsedJson | undefined;

/** Checks and lays out a body; throws a SyntaxError when it is not JSON. */
export function readJson(body: Uint8Array): ParsedJson {
  const json = new ParsedJson(asBuffer(body));
  laidOut = undefined;
  if (!shared.layOut(json.bytes)) throw new SyntaxError('the body is not JSON');
  laidOut = json;
  return json;
}

/** The layout of a body read by readJson (laid out again when another body was since). */
export function layoutOf(json: ParsedJson): JsonLayout {
  if (laidOut !== json) {
    shared.layOut(json.bytes);
    laidOut = json;
  }
  return shared;
}

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
