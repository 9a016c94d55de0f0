/**
 * A JSON body checked (exactly what JSON.parse accepts) and laid out in one pass, for
 * json-byte-diff.ts: where each object and array lies in its bytes, and each value an object
 * holds, as nodes in document order. A node's region is its bytes; for a value held by an object
 * it starts just after the colon, so a difference in the spaces before the value belongs to the
 * value. String contents are skipped four bytes at a time; no object or string is built.
 */
import { childPath } from './json-compare-values.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** Node kinds. */
const SCALAR = 0;
export const OBJECT = 1;
export const ARRAY = 2;

// What comes next in the scan: a value; a value or `]` (just after `[`); a key; a key or `}`
// (just after `{`); `,` or the closing bracket.
const VALUE = 0;
const FIRST_VALUE = 1;
const KEY = 2;
const FIRST_KEY = 3;
const AFTER_VALUE = 4;

export class JsonLayout {
  bytes: Buffer = Buffer.alloc(0);
  words = new DataView(this.bytes.buffer);
  /** Nodes laid out so far. */
  count = 0;
  /** Per node (index): where its region starts, just past its end, its parent (-1 for the top). */
  from = new Int32Array(64);
  to = new Int32Array(64);
  parent = new Int32Array(64);
  kind = new Uint8Array(64);
  /** The key holding the node (offsets of the bytes between its quotes), or -1 in an array. */
  keyFrom = new Int32Array(64);
  keyTo = new Int32Array(64);
  private paths: (string | undefined)[] = [];
  private keys: (string | undefined)[] = [];
  /** Per object: 0 not looked at yet, 1 each key once, 2 a key repeated. */
  private repeated = new Uint8Array(64);

  /**
   * Lays out `bytes` in place of the body laid out before (the arrays are reused, so a layout per
   * body costs no garbage); false when they are not JSON. A body that is one scalar has no node.
   */
  layOut(bytes: Buffer): boolean {
    this.bytes = bytes;
    this.words = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    this.count = 0;
    this.paths = [];
    this.keys = [];
    const valid = this.scan();
    this.repeated.fill(0, 0, this.count);
    // After a body of very many values, give the memory back rather than keep it for small ones.
    if (this.from.length > 65_536 && this.count < this.from.length / 8) this.resize(Math.max(64, this.count * 2));
    return valid;
  }

  /** The innermost node whose region holds `position`, or -1. */
  innermost(position: number): number {
    // The last node starting at or before the position, then up to the first that holds it.
    let low = 0;
    let high = this.count - 1;
    let k = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (this.from[middle]! <= position) {
        k = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    while (k >= 0 && this.to[k]! <= position) k = this.parent[k]!;
    return k;
  }

  /** The node's field path (`user.email`, `items[]`), built when first asked. */
  pathOf(node: number): string {
    let path = this.paths[node];
    if (path !== undefined) return path;
    const parent = this.parent[node]!;
    if (parent < 0) path = '';
    else if (this.kind[parent] === OBJECT) path = childPath(this.pathOf(parent), this.keyText(node));
    else path = `${this.pathOf(parent)}[]`;
    this.paths[node] = path;
    return path;
  }

  /** Whether an object node has a key twice. */
  hasRepeatedKey(node: number): boolean {
    if (this.repeated[node] === 0) this.repeated[node] = this.findRepeatedKey(node) ? 2 : 1;
    return this.repeated[node] === 2;
  }

  private findRepeatedKey(node: number): boolean {
    const members: number[] = [];
    for (let k = node + 1; k < this.count && this.from[k]! < this.to[node]!; k++) if (this.parent[k] === node) members.push(k);
    const bytes = this.bytes;
    const plain = members.every((m) => {
      for (let x = this.keyFrom[m]!; x < this.keyTo[m]!; x++) if (bytes[x] === BACKSLASH || bytes[x]! >= 0x80) return false;
      return true;
    });
    if (!plain) {
      // Escapes or other than ASCII: one text has several spellings, so compare decoded keys.
      const keys = new Set(members.map((m) => this.keyText(m)));
      return keys.size < members.length;
    }
    for (let x = 0; x < members.length; x++) {
      for (let y = x + 1; y < members.length; y++) if (this.sameKeyBytes(members[x]!, members[y]!)) return true;
    }
    return false;
  }

  private sameKeyBytes(m: number, n: number): boolean {
    const start = this.keyFrom[m]!;
    const length = this.keyTo[m]! - start;
    if (length !== this.keyTo[n]! - this.keyFrom[n]!) return false;
    const other = this.keyFrom[n]!;
    for (let k = 0; k < length; k++) if (this.bytes[start + k] !== this.bytes[other + k]) return false;
    return true;
  }

  private keyText(node: number): string {
    let key = this.keys[node];
    if (key === undefined) {
      const raw = utf8(this.bytes, this.keyFrom[node]!, this.keyTo[node]!);
      key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
      this.keys[node] = key;
    }
    return key;
  }

  private add(from: number, parent: number, kind: number, keyFrom: number, keyTo: number): number {
    const node = this.count++;
    if (node === this.from.length) this.grow();
    this.from[node] = from;
    this.to[node] = from;
    this.parent[node] = parent;
    this.kind[node] = kind;
    this.keyFrom[node] = keyFrom;
    this.keyTo[node] = keyTo;
    return node;
  }

  private grow(): void {
    this.resize(this.from.length * 2);
  }

  /** New arrays of `length` entries holding the nodes laid out so far (no more than fit). */
  private resize(length: number): void {
    const copy = <T extends Int32Array | Uint8Array>(old: T): T => {
      const resized = new (old.constructor as new (length: number) => T)(length);
      resized.set(old.subarray(0, Math.min(length, this.count)));
      return resized;
    };
    this.from = copy(this.from);
    this.to = copy(this.to);
    this.parent = copy(this.parent);
    this.kind = copy(this.kind);
    this.keyFrom = copy(this.keyFrom);
    this.keyTo = copy(this.keyTo);
    this.repeated = copy(this.repeated);
  }

  /** One pass over the bytes: lays out the nodes and checks the text is JSON as JSON.parse reads it. */
  private scan(): boolean {
    const a = this.bytes;
    const length = a.length;
    let i = 0;
    let at = VALUE;
    /** The innermost open object or array (-1: none), and whether it is an object. */
    let open = -1;
    let inObject = false;
    /** Where the next value's region starts and the key holding it (in an object). */
    let region = 0;
    let keyFrom = -1;
    let keyTo = -1;
    for (;;) {
      while (i < length && isSpace(a[i]!)) i++;
      if (i >= length) return at === AFTER_VALUE && open < 0;
      if (at === AFTER_VALUE && open < 0) return false; // more than one value
      const x = a[i]!;
      if (at === VALUE || at === FIRST_VALUE) {
        if (x === OPEN_BRACE || x === OPEN_BRACKET) {
          const from = open < 0 ? 0 : inObject ? region : i;
          open = this.add(from, open, x === OPEN_BRACE ? OBJECT : ARRAY, inObject ? keyFrom : -1, inObject ? keyTo : -1);
          inObject = x === OPEN_BRACE;
          at = inObject ? FIRST_KEY : FIRST_VALUE;
          i++;
          continue;
        }
        if (x !== CLOSE_BRACKET || at !== FIRST_VALUE) {
          const end = x === QUOTE ? stringEnd(a, i + 1, this.words) : scalarEnd(a, i);
          if (end < 0) return false;
          if (inObject) this.to[this.add(region, open, SCALAR, keyFrom, keyTo)] = end;
          i = end;
          at = AFTER_VALUE;
          continue;
        }
        // `]` of an empty array: closed below.
      } else if (at === KEY || at === FIRST_KEY) {
        if (x === QUOTE) {
          keyFrom = i + 1;
          i = stringEnd(a, i + 1, this.words);
          if (i < 0) return false;
          keyTo = i - 1;
          while (i < length && isSpace(a[i]!)) i++;
          if (a[i] !== COLON) return false;
          region = ++i;
          at = VALUE;
          continue;
        }
        if (x !== CLOSE_BRACE || at !== FIRST_KEY) return false;
      } else if (x === COMMA) {
        at = inObject ? KEY : VALUE;
        i++;
        continue;
      } else if (x !== (inObject ? CLOSE_BRACE : CLOSE_BRACKET)) return false;
      // The `}` or `]` closing the innermost object or array.
      this.to[open] = ++i;
      open = this.parent[open]!;
      inObject = open >= 0 && this.kind[open] === OBJECT;
      at = AFTER_VALUE;
    }
  }
}

export const INVALID = Symbol('invalid JSON');

/** The value in bytes `start`–`end`, or INVALID. */
export function parseSlice(bytes: Buffer, start: number, end: number): unknown {
  if (bytes[start] === QUOTE && end - start >= 2 && bytes[end - 1] === QUOTE && plainString(bytes, start + 1, end - 1))
    return utf8(bytes, start + 1, end - 1);
  try {
    return JSON.parse(utf8(bytes, start, end));
  } catch {
    return INVALID;
  }
}

/** No escape, quote or control character: the string's text is its bytes. */
function plainString(bytes: Buffer, start: number, end: number): boolean {
  for (let k = start; k < end; k++) {
    const x = bytes[k]!;
    if (x === BACKSLASH || x === QUOTE || x < 0x20) return false;
  }
  return true;
}

/** utf8Slice is what toString('utf8', …) calls after its argument checks, which cost as much here. */
export function utf8(bytes: Buffer, start: number, end: number): string {
  return (bytes as Buffer & { utf8Slice(start: number, end: number): string }).utf8Slice(start, end);
}

/** Just past the JSON value starting at or after `start` (spaces skipped), or -1 when it does not end. */
export function valueEnd(bytes: Buffer, start: number): number {
  const length = bytes.length;
  let i = start;
  while (i < length && isSpace(bytes[i]!)) i++;
  if (i >= length) return -1;
  const first = bytes[i]!;
  if (first === QUOTE) return stringEnd(bytes, i + 1);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) return scalarEnd(bytes, i);
  let depth = 0;
  for (; i < length; i++) {
    const x = bytes[i]!;
    if (x === QUOTE) {
      i = stringEnd(bytes, i + 1) - 1;
      if (i < 0) return -1;
    } else if (x === OPEN_BRACE || x === OPEN_BRACKET) depth++;
    else if ((x === CLOSE_BRACE || x === CLOSE_BRACKET) && --depth === 0) return i + 1;
  }
  return -1;
}

/**
 * Just past the quote closing a string whose content starts at `i`, or -1 when the string does not
 * end or breaks JSON's rules (a control character, an unknown escape).
 */
function stringEnd(bytes: Buffer, i: number, words?: DataView): number {
  const length = bytes.length;
  for (;;) {
    if (words !== undefined) while (i + 4 <= length && !hasSpecialByte(words.getInt32(i, true))) i += 4;
    if (i >= length) return -1;
    const x = bytes[i]!;
    if (x === QUOTE) return i + 1;
    if (x < 0x20) return -1;
    if (x !== BACKSLASH) i++;
    else {
      const escaped = bytes[i + 1];
      if (escaped === U) {
        for (let k = i + 2; k < i + 6; k++) if (!isHexDigit(bytes[k])) return -1;
        i += 6;
      } else if (escaped !== undefined && SIMPLE_ESCAPES.includes(escaped)) i += 2;
      else return -1;
    }
  }
}

/** `"`, `\\`, `/`, `b`, `f`, `n`, `r`, `t` */
const SIMPLE_ESCAPES = [0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74];
const U = 0x75;

function isHexDigit(x: number | undefined): boolean {
  return x !== undefined && ((x >= 0x30 && x <= 0x39) || (x >= 0x41 && x <= 0x46) || (x >= 0x61 && x <= 0x66));
}

/** Just past a number, `true`, `false` or `null` starting at `i`, or -1 when there is none. */
function scalarEnd(bytes: Buffer, i: number): number {
  const x = bytes[i];
  if (x === 0x74) return literalEnd(bytes, i, 'true');
  if (x === 0x66) return literalEnd(bytes, i, 'false');
  if (x === 0x6e) return literalEnd(bytes, i, 'null');
  let k = i;
  if (bytes[k] === 0x2d) k++; // -
  if (bytes[k] === 0x30) k++;
  else if (isDigit(bytes[k]) && bytes[k] !== 0x30) k = digitsEnd(bytes, k);
  else return -1;
  if (bytes[k] === 0x2e) {
    // .
    if (!isDigit(bytes[k + 1])) return -1;
    k = digitsEnd(bytes, k + 1);
  }
  if (bytes[k] === 0x65 || bytes[k] === 0x45) {
    // e E
    k++;
    if (bytes[k] === 0x2b || bytes[k] === 0x2d) k++; // + -
    if (!isDigit(bytes[k])) return -1;
    k = digitsEnd(bytes, k);
  }
  return k;
}

function literalEnd(bytes: Buffer, i: number, literal: string): number {
  for (let k = 0; k < literal.length; k++) if (bytes[i + k] !== literal.charCodeAt(k)) return -1;
  return i + literal.length;
}

function isDigit(x: number | undefined): boolean {
  return x !== undefined && x >= 0x30 && x <= 0x39;
}

function digitsEnd(bytes: Buffer, k: number): number {
  while (isDigit(bytes[k])) k++;
  return k;
}

/** Whether one of the four bytes of `word` is a quote, a backslash or a control character (no loop). */
function hasSpecialByte(word: number): boolean {
  const quotes = word ^ 0x22222222;
  const backslashes = word ^ 0x5c5c5c5c;
  const zeroOrLess = (quotes - 0x01010101) & ~quotes; // a zero byte: a quote
  const slashes = (backslashes - 0x01010101) & ~backslashes;
  const controls = (word - 0x20202020) & ~word; // a byte below 0x20
  return ((zeroOrLess | slashes | controls) & 0x80808080) !== 0;
}

function isSpace(x: number): boolean {
  return x === 0x20 || x === 0x0a || x === 0x0d || x === 0x09;
}
