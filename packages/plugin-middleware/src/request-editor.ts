/**
 * Reads and edits an HTTP/1 request held as raw bytes, for the built-in modifiers.
 * Parsing is lazy and in steps: the request line first, the headers only when a rule needs them,
 * and the bytes are rebuilt only when something changed.
 */
import { findHeadEnd } from '@reprise/core';

const LF = 10;
const CR = 13;

export class RequestEditor {
  private lineParsed = false;
  private methodText = '';
  private targetText = '';
  private versionText = '';
  /** Index just past the request line's line break. */
  private lineEnd = 0;
  private headerList: Array<[string, string]> | undefined;
  /** Index of the first body byte. */
  private bodyStart = 0;
  private isChanged = false;

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
    this.isChanged = true;
  }

  get changed(): boolean {
    return this.isChanged;
  }

  /** The first value of a header (case-insensitive), or undefined. */
  header(name: string): string | undefined {
    const lower = name.toLowerCase();
    for (const [key, value] of this.headers()) if (key.toLowerCase() === lower) return value;
    return undefined;
  }

  /** Replaces the first header of that name (keeping its place), or appends it. */
  setHeader(name: string, value: string): void {
    const headers = this.headers();
    const lower = name.toLowerCase();
    for (const pair of headers) {
      if (pair[0].toLowerCase() === lower) {
        if (pair[1] === value) return;
        pair[1] = value;
        this.isChanged = true;
        return;
      }
    }
    headers.push([name, value]);
    this.isChanged = true;
  }

  /** The request bytes, rebuilt when something changed, else the original array. */
  toBytes(): Uint8Array {
    if (!this.isChanged) return this.payload;
    const headers = this.headers();
    let head = `${this.methodText} ${this.targetText} ${this.versionText}\r\n`;
    for (const [key, value] of headers) head += `${key}: ${value}\r\n`;
    head += '\r\n';
    const body = this.payload.subarray(this.bodyStart);
    const out = Buffer.allocUnsafe(Buffer.byteLength(head, 'latin1') + body.length);
    const n = out.write(head, 0, 'latin1');
    out.set(body, n);
    return out;
  }

  private parseLine(): void {
    if (this.lineParsed) return;
    this.lineParsed = true;
    const bytes = this.payload;
    let end = bytes.indexOf(LF);
    if (end < 0) end = bytes.length;
    this.lineEnd = Math.min(end + 1, bytes.length);
    const stop = end > 0 && bytes[end - 1] === CR ? end - 1 : end;
    const line = Buffer.from(bytes.buffer, bytes.byteOffset, stop).toString('latin1');
    const sp1 = line.indexOf(' ');
    const sp2 = line.lastIndexOf(' ');
    if (sp1 <= 0 || sp2 <= sp1) return;
    this.methodText = line.slice(0, sp1);
    this.targetText = line.slice(sp1 + 1, sp2);
    this.versionText = line.slice(sp2 + 1);
  }

  private headers(): Array<[string, string]> {
    if (this.headerList) return this.headerList;
    this.parseLine();
    const bytes = this.payload;
    const headEnd = findHeadEnd(bytes, Math.max(0, this.lineEnd - 1));
    // A head without its blank line (truncated capture): everything after the request line is headers.
    this.bodyStart = headEnd < 0 ? bytes.length : headEnd;
    const text = Buffer.from(bytes.buffer, bytes.byteOffset + this.lineEnd, this.bodyStart - this.lineEnd).toString('latin1');
    const list: Array<[string, string]> = [];
    for (const line of text.split('\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      list.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
    }
    this.headerList = list;
    return list;
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
