/**
 * Reads and edits an HTTP/1 request held as raw bytes, for the built-in modifiers.
 * Parsing is lazy and in steps: the head is decoded once (latin1, one char per byte), header lines are
 * indexed only when a rule asks for a header, and the bytes are rebuilt only when something changed;
 * adding a header copies the original bytes around the new line instead of rebuilding the head.
 */
import { findHeadEnd } from '@reprise/core';

const CR = 13;
const LF = 10;

export class RequestEditor {
  private head: string | undefined;
  /** Where the header lines end (the blank line starts), in bytes. */
  private headLinesEnd = 0;
  private lineParsed = false;
  private methodText = '';
  private targetText = '';
  private versionText = '';
  private lineEnd = 0;
  /** Header lines as [nameStart, nameEnd, valueStart, valueEnd] offsets into `head`. */
  private offsets: number[] | undefined;
  /** Values replaced in place, by header index. */
  private replaced: Map<number, string> | undefined;
  private added: Array<[string, string]> | undefined;
  private isLineChanged = false;

  constructor(private readonly payload: Uint8Array) {}

  /** True when the bytes start with something that looks like a request line. */
  get isRequest(): boolean {
    this.parseLine();
    return this.methodText.length > 0 && this.versionText.startsWith('HTTP/');
  }

  get method(): string {
    this.parseLine();
    return this.methodText;
  }

  /** The request target as sent: path and query, e.g. `/v1/users?id=1`. */
  get target(): string {
    this.parseLine();
    return this.targetText;
  }

  set target(value: string) {
    this.parseLine();
    if (value === this.targetText) return;
    this.targetText = value;
    this.isLineChanged = true;
  }

  get changed(): boolean {
    return this.isLineChanged || this.replaced !== undefined || this.added !== undefined;
  }

  /** The first value of a header (case-insensitive), or undefined. */
  header(name: string): string | undefined {
    const i = this.find(name.toLowerCase());
    if (i >= 0) return this.replaced?.get(i) ?? this.valueAt(i);
    const lower = name.toLowerCase();
    const added = this.added?.find(([key]) => key.toLowerCase() === lower);
    return added?.[1];
  }

  /** Replaces the first header of that name (keeping its place), or appends it. */
  setHeader(name: string, value: string): void {
    const lower = name.toLowerCase();
    const i = this.find(lower);
    if (i >= 0) {
      if ((this.replaced?.get(i) ?? this.valueAt(i)) === value) return;
      this.replaced ??= new Map();
      this.replaced.set(i, value);
      return;
    }
    const added = this.added?.find(([key]) => key.toLowerCase() === lower);
    if (added) added[1] = value;
    else {
      this.added ??= [];
      this.added.push([name, value]);
    }
  }

  /** The request bytes, rebuilt when something changed, else the original array. */
  toBytes(): Uint8Array {
    if (!this.changed) return this.payload;
    this.index();
    const head = this.head!;
    const offsets = this.offsets!;
    let text = this.isLineChanged ? `${this.methodText} ${this.targetText} ${this.versionText}\r\n` : head.slice(0, this.lineEnd);
    let copiedTo = this.lineEnd;
    if (this.replaced) {
      for (const i of [...this.replaced.keys()].sort((a, b) => a - b)) {
        text += head.slice(copiedTo, offsets[i * 4 + 2]) + this.replaced.get(i)!;
        copiedTo = offsets[i * 4 + 3]!;
      }
    }
    text += head.slice(copiedTo, this.headLinesEnd);
    // A head cut short (no blank line) gets its last line ended before new ones are added.
    if (this.added && this.headLinesEnd > 0 && head.charCodeAt(this.headLinesEnd - 1) !== LF) text += '\r\n';
    if (this.added) for (const [key, value] of this.added) text += `${key}: ${value}\r\n`;
    const rest = this.payload.subarray(this.headLinesEnd);
    const restPrefix = this.headLinesEnd === this.payload.length && this.added ? '\r\n' : '';
    const out = Buffer.allocUnsafe(Buffer.byteLength(text, 'latin1') + restPrefix.length + rest.length);
    let at = out.write(text, 0, 'latin1');
    at += out.write(restPrefix, at, 'latin1');
    out.set(rest, at);
    return out;
  }

  private decodeHead(): string {
    if (this.head !== undefined) return this.head;
    const bytes = Buffer.isBuffer(this.payload)
      ? this.payload
      : Buffer.from(this.payload.buffer, this.payload.byteOffset, this.payload.length);
    // The head ends where replay and the sandbox end it: at its first blank line, "\n" or "\r\n".
    const end = findHeadEnd(bytes);
    this.headLinesEnd = end < 0 ? bytes.length : bytes[end - 2] === CR ? end - 2 : end - 1;
    this.head = bytes.toString('latin1', 0, this.headLinesEnd);
    return this.head;
  }

  private parseLine(): void {
    if (this.lineParsed) return;
    this.lineParsed = true;
    const head = this.decodeHead();
    let end = head.indexOf('\n');
    if (end < 0) end = head.length;
    this.lineEnd = Math.min(end + 1, head.length);
    const stop = end > 0 && head.charCodeAt(end - 1) === 13 ? end - 1 : end;
    const sp1 = head.indexOf(' ');
    const sp2 = head.lastIndexOf(' ', stop - 1);
    if (sp1 <= 0 || sp1 >= stop || sp2 <= sp1) return;
    this.methodText = head.slice(0, sp1);
    this.targetText = head.slice(sp1 + 1, sp2);
    this.versionText = head.slice(sp2 + 1, stop);
  }

  private index(): number[] {
    if (this.offsets) return this.offsets;
    this.parseLine();
    const head = this.head!;
    const offsets: number[] = [];
    let pos = this.lineEnd;
    while (pos < head.length) {
      let nl = head.indexOf('\n', pos);
      if (nl < 0) nl = head.length;
      const colon = head.indexOf(':', pos);
      if (colon > pos && colon < nl) {
        let v = colon + 1;
        let e = nl;
        while (v < e && (head.charCodeAt(v) === 32 || head.charCodeAt(v) === 9)) v++;
        while (e > v && (head.charCodeAt(e - 1) === 13 || head.charCodeAt(e - 1) === 32 || head.charCodeAt(e - 1) === 9)) e--;
        offsets.push(pos, colon, v, e);
      }
      pos = nl + 1;
    }
    this.offsets = offsets;
    return offsets;
  }

  /** Index of the first header with that (lowercased) name, or -1. */
  private find(lower: string): number {
    const offsets = this.index();
    const head = this.head!;
    for (let k = 0; k < offsets.length; k += 4) {
      if (offsets[k + 1]! - offsets[k]! === lower.length && head.slice(offsets[k], offsets[k + 1]).toLowerCase() === lower) return k / 4;
    }
    return -1;
  }

  private valueAt(i: number): string {
    const offsets = this.offsets!;
    return this.head!.slice(offsets[i * 4 + 2], offsets[i * 4 + 3]);
  }
}

/** Splits a request target into path and query (without the `?`). */
export function splitTarget(target: string): { path: string; query: string | undefined } {
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: undefined } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

/** The raw value of a query parameter (first occurrence), or undefined when absent. */
export function queryParam(target: string, name: string): string | undefined {
  const { query } = splitTarget(target);
  if (query === undefined) return undefined;
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (key === name) return eq < 0 ? '' : pair.slice(eq + 1);
  }
  return undefined;
}

/** Sets a query parameter: replaces the first occurrence's value, or appends `name=value`. */
export function setQueryParam(target: string, name: string, value: string): string {
  const { path, query } = splitTarget(target);
  if (query === undefined || query === '') return `${path}?${name}=${value}`;
  const pairs = query.split('&');
  let found = false;
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i]!;
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (key === name) {
      pairs[i] = `${name}=${value}`;
      found = true;
      break;
    }
  }
  if (!found) pairs.push(`${name}=${value}`);
  return `${path}?${pairs.join('&')}`;
}
