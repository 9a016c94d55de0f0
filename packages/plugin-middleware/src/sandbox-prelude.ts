/**
 * The module that runs inside each script's isolate before the script: the lazy message views and the
 * batch runner. The host reads this module's compiled file (dist/sandbox-prelude.js) and compiles it as
 * an ES module in the isolate, so at run time it imports only script-store.js (which imports nothing;
 * the host links it) and uses nothing of Node: no host objects reach it. What crosses the boundary is
 * typed in sandbox-wire.ts.
 *
 * The views parse nothing until asked: reading `path` parses the request line only, looking up or
 * adding a header finds the head's end and searches it, listing headers splits the head, `body` decodes
 * the body. Every field a script sets is checked where it is set (InvalidFieldError, which drops the
 * message); the host checks the ids again, since they end up in .gor record headers.
 */
import type { BatchDetails, BatchInput, BatchResult, DetailsCall, HookFailure, HookName, IdChange } from './sandbox-wire.js';
import { ScriptStore, type ScriptStoreLimits } from './script-store.js';

const MAX_LOG_LINES = 100;
const CORRELATION_CAPACITY = 10000;
/** The console lines of the call in hand (each call's outputs keep their own). */
interface CallLog {
  lines: string[];
  leftOut: number;
}
let log: CallLog = { lines: [], leftOut: 0 };

function show(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return value.stack || String(value);
  try {
    const json = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    return json === undefined ? String(value) : json;
  } catch {
    return String(value);
  }
}

function logger(level: string) {
  return (...args: unknown[]): void => {
    if (log.lines.length >= MAX_LOG_LINES) {
      log.leftOut++;
      return;
    }
    let line = '';
    for (let i = 0; i < args.length; i++) line += (i ? ' ' : '') + show(args[i]);
    log.lines.push(`${level} ${line}`);
  };
}
const sandboxConsole = Object.freeze({
  log: logger('info'),
  info: logger('info'),
  debug: logger('debug'),
  warn: logger('warn'),
  error: logger('error'),
});
Object.defineProperty(globalThis, 'console', { value: sandboxConsole, writable: false, configurable: false });

// latin1 "byte strings" <-> text: the payload travels as one char per byte.
function bytesToText(b: string): string {
  if (!/[\x80-\xff]/.test(b)) return b;
  try {
    return decodeURIComponent(escape(b));
  } catch {
    return b;
  }
}
function textToBytes(t: string): string {
  if (!/[\x80-\uffff]/.test(t)) return t;
  return unescape(encodeURIComponent(t));
}
function byteStringToArray(b: string): Uint8Array {
  const a = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) a[i] = b.charCodeAt(i);
  return a;
}
function arrayToByteString(value: unknown): string {
  const a = value instanceof ArrayBuffer ? new Uint8Array(value) : value;
  if (!(a instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array or an ArrayBuffer');
  let s = '';
  for (let i = 0; i < a.length; i += 8192) s += String.fromCharCode.apply(null, a.subarray(i, i + 8192) as unknown as number[]);
  return s;
}

/** A field a script set to a value that would corrupt the message: the message is dropped and counted. */
class InvalidFieldError extends TypeError {
  constructor(field: string, value: unknown, rule: string) {
    // JSON escapes every control character but DEL.
    const text = JSON.stringify(String(value)).replace(/\x7f/g, '\\u007f');
    super(`invalid ${field} ${text.length > 60 ? `${text.slice(0, 59)}…"` : text}: ${rule}`);
    // Error.prototype is frozen: an own property, not an assignment.
    Object.defineProperty(this, 'name', { value: 'InvalidFieldError' });
  }
}
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const ID = /^[0-9a-f]{24}$/;
/** A lowercased name the head can be searched for as "\n<name>:" without splitting it into headers: a token. */
const LOWER_TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/**
 * The first line of raw's head after the '\n' at or after `from` that is either the header `lower` (a
 * lowercased token, its name matched ignoring ASCII case) or the blank line that ends the head: the index
 * of the '\n' before that line; -1 when neither comes. One scan answers whether the head has the header
 * and, when it has not, where the head ends.
 */
function scanHead(raw: string, from: number, lower: string): number {
  const n = lower.length;
  for (let at = raw.indexOf('\n', from); at >= 0; at = raw.indexOf('\n', at + 1)) {
    const first = raw.charCodeAt(at + 1);
    if (first === 10 || (first === 13 && raw.charCodeAt(at + 2) === 10)) return at;
    if (raw.charCodeAt(at + 1 + n) !== 58) continue;
    let k = 0;
    while (k < n && sameFolded(raw.charCodeAt(at + 1 + k), lower.charCodeAt(k))) k++;
    if (k === n) return at;
  }
  return -1;
}

/** Whether c is l, a lowercase ASCII token character, ignoring ASCII case (as a regular expression's i flag). */
function sameFolded(c: number, l: number): boolean {
  return c === l || (l >= 97 && l <= 122 && c === l - 32);
}
// \n🐵🙈🙉\n as a byte string (one char per UTF-8 byte), the way payloads travel here.
const GOR_SEPARATOR = '\n\xf0\x9f\x90\xb5\xf0\x9f\x99\x88\xf0\x9f\x99\x89\n';
const PLAIN_VALUE = /^[\t\x20-\x7e]*$/;
/**
 * A char a header value or status text may not hold: RFC 9110's field text is tab, space, visible ASCII and
 * obs-text bytes (undici refuses the rest). Both are byte strings (one char per byte): a char above U+00FF
 * has no byte, and written as latin1 would keep only its low byte (U+010A would become a line feed).
 */
const NOT_FIELD_TEXT = /[^\t\x20-\x7e\x80-\xff]/;
/** A char a url may not hold: the same, without tab and space. */
const NOT_URL_TEXT = /[^\x21-\x7e\x80-\xff]/;
/** The '\n' before the blank line that ends a head. */
const BLANK_LINE = /\n\r?\n/g;
const CHECKED_NAMES_SIZE = 64;
/** Names a script set before, valid, with their lowercase form: a script sets the same few names. */
const checkedNames = new Map<string, string>();
/** The name and the plain value checked last: the usual script sets the same header on every message. */
let lastChecked: { name: string; lower: string } | null = null;
/** '' is plain: the start value needs no check. */
let lastPlainValue = '';

/** The lowercase form of a header name a script sets, after checking it is a token. */
function checkedName(name: string): string {
  if (lastChecked !== null && name === lastChecked.name) return lastChecked.lower;
  let lower = checkedNames.get(name);
  if (lower === undefined) {
    if (!TOKEN.test(name))
      throw new InvalidFieldError('header name', name, "a header name is a token (letters, digits and !#$%&'*+-.^_`|~)");
    if (checkedNames.size >= CHECKED_NAMES_SIZE) checkedNames.clear();
    lower = name.toLowerCase();
    checkedNames.set(name, lower);
  }
  lastChecked = { name, lower };
  return lower;
}

/** A header value a script sets, as bytes, after checking it has no line break or other control character. */
function checkedValue(name: string, valueIn: unknown): string {
  const text = String(valueIn);
  if (text === lastPlainValue) return text;
  if (PLAIN_VALUE.test(text)) {
    lastPlainValue = text;
    return text;
  }
  const value = textToBytes(text);
  if (NOT_FIELD_TEXT.test(value))
    throw new InvalidFieldError(
      `value of header ${name}`,
      value,
      'a header value cannot contain control characters other than tab (such as CR, LF or NUL)',
    );
  return value;
}

/**
 * [nameStart, nameEnd, valueStart, valueEnd] per header line of raw between lineEnd and stop; a line
 * without a colon is skipped, values are trimmed of blanks.
 */
function headerOffsets(raw: string, lineEnd: number, stop: number): number[] {
  const offs: number[] = [];
  let pos = lineEnd;
  while (pos < stop) {
    let nl = raw.indexOf('\n', pos);
    if (nl < 0 || nl > stop) nl = stop;
    const colon = raw.indexOf(':', pos);
    if (colon > pos && colon < nl) {
      let v = colon + 1;
      let e = nl;
      while (v < e && (raw.charCodeAt(v) === 32 || raw.charCodeAt(v) === 9)) v++;
      while (e > v && (raw.charCodeAt(e - 1) === 13 || raw.charCodeAt(e - 1) === 32 || raw.charCodeAt(e - 1) === 9)) e--;
      offs.push(pos, colon, v, e);
    }
    pos = nl + 1;
  }
  return offs;
}

const NO_PAIRS: string[] = Object.freeze([]) as unknown as string[];

/** The last header line rendered alone, and its name and value: the usual script adds the same one to every message. */
let lastAdded = { name: '', value: '', line: '' };

/**
 * The header lines of list[from..] ([name, value, ...]), rendered for the head. One line is rendered once
 * for as long as it repeats: the same string each time, so the host gets it once per call (see Outputs.add).
 */
function addedLines(list: string[], from: number): string {
  if (list.length - from === 2) {
    const name = list[from]!;
    const value = list[from + 1]!;
    if (name !== lastAdded.name || value !== lastAdded.value) lastAdded = { name, value, line: `${name}: ${value}\r\n` };
    return lastAdded.line;
  }
  let added = '';
  for (let i = from; i < list.length; i += 2) added += `${list[i]}: ${list[i + 1]}\r\n`;
  return added;
}

/**
 * Header names compared case-insensitively. Until a script needs the whole list, headers stay in the raw
 * head (searched, or split into offsets once asked for by value), plus the pairs the script appended.
 */
class Headers {
  _owner: HttpMessage;
  _offs: number[] | null = null;
  /** The whole list, [name, value, ...], once a script needed it. */
  _pairs: string[] | null = null;
  /** Starts as the shared empty list: a view that adds nothing allocates none. */
  _added: string[] = NO_PAIRS;
  /** Lowercased names of the list, computed once, on first search. */
  _lower: string[] | null = null;
  /** List entries below originalCount are the ones in the raw head; _isEdited once one of them changed. */
  _originalCount = 0;
  _isEdited = false;

  constructor(owner: HttpMessage) {
    this._owner = owner;
  }
  get _offsets(): number[] {
    if (this._offs === null) {
      this._owner._locateHead();
      this._offs = headerOffsets(this._owner._raw, this._owner._lineEnd, this._owner._headStop);
    }
    return this._offs;
  }
  get _list(): string[] {
    if (this._pairs === null) {
      const raw = this._owner._raw;
      const offs = this._offsets;
      const list: string[] = [];
      for (let k = 0; k < offs.length; k += 4) list.push(raw.slice(offs[k], offs[k + 1]), raw.slice(offs[k + 2], offs[k + 3]));
      this._originalCount = list.length;
      for (let i = 0; i < this._added.length; i++) list.push(this._added[i]!);
      this._pairs = list;
    }
    return this._pairs;
  }
  /** The raw value of the first header of the head with this lowercased name, or null. isToken: lower is a lowercased token. */
  _rawValue(lower: string, isToken: boolean): string | null {
    const owner = this._owner;
    const raw = owner._raw;
    if (this._offs === null && isToken) {
      // The common lookups (has, set of a new header) need no split: one case-insensitive search of the head.
      const at = scanHead(raw, owner._lineEnd - 1, lower);
      if (at < 0) return null;
      const first = raw.charCodeAt(at + 1);
      if (first === 10 || first === 13) {
        // The blank line came first: no such header, and now the head's end is known.
        owner._headEndsAt(at);
        return null;
      }
      let v = at + 2 + lower.length;
      let e = raw.indexOf('\n', v);
      if (e < 0) e = raw.length;
      while (v < e && (raw.charCodeAt(v) === 32 || raw.charCodeAt(v) === 9)) v++;
      while (e > v && (raw.charCodeAt(e - 1) === 13 || raw.charCodeAt(e - 1) === 32 || raw.charCodeAt(e - 1) === 9)) e--;
      return raw.slice(v, e);
    }
    const offs = this._offsets;
    const len = lower.length;
    for (let k = 0; k < offs.length; k += 4) {
      if (offs[k + 1]! - offs[k]! === len && raw.slice(offs[k], offs[k + 1]).toLowerCase() === lower)
        return raw.slice(offs[k + 2], offs[k + 3]);
    }
    return null;
  }
  _add(name: string, value: string): void {
    if (this._added === NO_PAIRS) this._added = [name, value];
    else this._added.push(name, value);
  }
  _findAdded(lower: string): number {
    const added = this._added;
    for (let i = 0; i < added.length; i += 2) if (added[i]!.length === lower.length && added[i]!.toLowerCase() === lower) return i;
    return -1;
  }
  _lowerAt(i: number): string {
    let lower = this._lower;
    if (lower === null) lower = this._lower = [];
    let v = lower[i];
    if (v === undefined) v = lower[i] = this._list[i]!.toLowerCase();
    return v;
  }
  _find(lower: string, from: number): number {
    const list = this._list;
    const len = lower.length;
    for (let i = from; i < list.length; i += 2) if (list[i]!.length === len && this._lowerAt(i) === lower) return i;
    return -1;
  }
  _removeAt(i: number): void {
    this._list.splice(i, 2);
    if (this._lower !== null) this._lower.splice(i, 2);
    if (i < this._originalCount) {
      this._originalCount -= 2;
      this._isEdited = true;
    }
  }
  get(name: unknown): string | null {
    const lower = String(name).toLowerCase();
    if (this._pairs === null) {
      const value = this._rawValue(lower, LOWER_TOKEN.test(lower));
      if (value !== null) return bytesToText(value);
      const i = this._findAdded(lower);
      return i < 0 ? null : bytesToText(this._added[i + 1]!);
    }
    const i = this._find(lower, 0);
    return i < 0 ? null : bytesToText(this._list[i + 1]!);
  }
  getAll(name: unknown): string[] {
    const lower = String(name).toLowerCase();
    const out: string[] = [];
    for (let i = this._find(lower, 0); i >= 0; i = this._find(lower, i + 2)) out.push(bytesToText(this._list[i + 1]!));
    return out;
  }
  has(name: unknown): boolean {
    const lower = String(name).toLowerCase();
    if (this._pairs === null) return this._rawValue(lower, LOWER_TOKEN.test(lower)) !== null || this._findAdded(lower) >= 0;
    return this._find(lower, 0) >= 0;
  }
  set(nameIn: unknown, valueIn: unknown): void {
    const name = String(nameIn);
    const lower = checkedName(name);
    const value = checkedValue(name, valueIn);
    // checkedName let only a token through.
    if (this._pairs === null && this._rawValue(lower, true) === null && this._findAdded(lower) < 0) {
      // The common case, a new header: no need to build the list.
      this._add(name, value);
      this._owner._dirty = true;
      return;
    }
    const list = this._list;
    const i = this._find(lower, 0);
    if (i < 0) list.push(name, value);
    else {
      if (list[i + 1] !== value) {
        list[i + 1] = value;
        if (i < this._originalCount) this._isEdited = true;
      }
      for (let j = this._find(lower, i + 2); j >= 0; j = this._find(lower, j)) this._removeAt(j);
    }
    this._owner._dirty = true;
  }
  append(nameIn: unknown, valueIn: unknown): void {
    const name = String(nameIn);
    checkedName(name);
    const value = checkedValue(name, valueIn);
    if (this._pairs === null) this._add(name, value);
    else this._pairs.push(name, value);
    this._owner._dirty = true;
  }
  delete(name: unknown): boolean {
    const lower = String(name).toLowerCase();
    let removed = false;
    for (let j = this._find(lower, 0); j >= 0; j = this._find(lower, j)) {
      this._removeAt(j);
      removed = true;
    }
    if (removed) this._owner._dirty = true;
    return removed;
  }
  keys(): string[] {
    const list = this._list;
    const out: string[] = [];
    for (let i = 0; i < list.length; i += 2) out.push(list[i]!);
    return out;
  }
  entries(): Array<[string, string]> {
    const list = this._list;
    const out: Array<[string, string]> = [];
    for (let i = 0; i < list.length; i += 2) out.push([list[i]!, bytesToText(list[i + 1]!)]);
    return out;
  }
  [Symbol.iterator](): Iterator<[string, string]> {
    return this.entries()[Symbol.iterator]();
  }
  toJSON(): Array<[string, string]> {
    return this.entries();
  }
}

type MessageKind = 'request' | 'response' | 'replayed-response';

/** What changed, relative to the raw bytes: raw[0..keep] + middle + raw[resumeAt..]. */
interface Parts {
  keep: number;
  middle: string;
  resumeAt: number;
}

class HttpMessage {
  _kind: MessageKind;
  /** The id, or null until asked for (then read from the batch's details, at `_source`). */
  _id: string | null;
  /** The timestamp, or undefined until asked for (likewise). */
  _ts: bigint | undefined;
  /** The batch this view came in, when it is an input message (the id and timestamp come from there). */
  _batch: CallBatch | null;
  _raw: string;
  /** Index of the input message this view is, -1 for one that is not (a correlated request). */
  _source: number;
  _clone = false;
  _dirty = false;
  _idChanged = false;
  _lineChanged = false;
  /** After the start line's '\n' (or the payload's end); -1 until found. */
  _lineEnd = -1;
  _line: [string, string, string] | null = null;
  _headers: Headers | null = null;
  /** Where the header lines stop (the blank line, or the payload's end); -1 until the head is located. */
  _headStop = -1;
  /** Where the header lines end (the blank line starts): appended headers go here. */
  _headLinesEnd = -1;
  /** Where the body starts. */
  _headEnd = -1;
  _body: string | null = null;

  constructor(kind: MessageKind, id: string | null, raw: string, source: number, ts: bigint | undefined, batch: CallBatch | null = null) {
    this._kind = kind;
    this._batch = batch;
    this._id = id;
    this._raw = raw;
    this._source = source;
    this._ts = ts;
  }
  get kind(): MessageKind {
    return this._kind;
  }
  get id(): string {
    if (this._id === null) this._id = detailsOf(this._batch!).ids[this._source]!;
    return this._id;
  }
  set id(valueIn: unknown) {
    const value = String(valueIn);
    if (!ID.test(value))
      throw new InvalidFieldError(this._kind === 'request' ? 'req.id' : 'res.id', value, 'an id is 24 lowercase hex digits');
    if (value !== this.id) {
      this._id = value;
      this._idChanged = true;
    }
  }
  get timestamp(): bigint {
    if (this._ts === undefined) this._ts = detailsOf(this._batch!).timestamps[this._source]!;
    return this._ts;
  }
  _findLineEnd(): void {
    if (this._lineEnd >= 0) return;
    const end = this._raw.indexOf('\n');
    this._lineEnd = end < 0 ? this._raw.length : end + 1;
  }
  _parseLine(): [string, string, string] {
    if (this._line !== null) return this._line;
    this._findLineEnd();
    const raw = this._raw;
    const end = this._lineEnd < raw.length || raw.charCodeAt(raw.length - 1) === 10 ? this._lineEnd - 1 : raw.length;
    const stop = end > 0 && raw.charCodeAt(end - 1) === 13 ? end - 1 : end;
    const line = raw.slice(0, stop);
    const sp1 = line.indexOf(' ');
    const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
    this._line =
      sp1 < 0
        ? [line, '', '']
        : sp2 < 0
          ? [line.slice(0, sp1), line.slice(sp1 + 1), '']
          : [line.slice(0, sp1), line.slice(sp1 + 1, sp2), line.slice(sp2 + 1)];
    return this._line;
  }
  _changeLine(part: 0 | 1 | 2, value: string): void {
    this._parseLine()[part] = value;
    this._dirty = true;
    this._lineChanged = true;
  }
  /** Finds where the head ends (the first blank line after the start line, CRLF or LF). */
  _locateHead(): void {
    if (this._headStop >= 0) return;
    this._findLineEnd();
    BLANK_LINE.lastIndex = this._lineEnd - 1;
    if (BLANK_LINE.test(this._raw))
      this._headEndsAt(BLANK_LINE.lastIndex - (this._raw.charCodeAt(BLANK_LINE.lastIndex - 2) === 13 ? 3 : 2));
    else this._headStop = this._headLinesEnd = this._headEnd = this._raw.length;
  }
  /** The head ends at the '\n' at `at` (the last header line's, or the start line's), followed by a blank line. */
  _headEndsAt(at: number): void {
    if (this._headStop >= 0) return;
    const raw = this._raw;
    this._headStop = raw.charCodeAt(at - 1) === 13 ? at - 1 : at;
    this._headLinesEnd = at + 1;
    this._headEnd = at + (raw.charCodeAt(at + 1) === 13 ? 3 : 2);
  }
  get headers(): Headers {
    if (this._headers === null) {
      // The head's end is found when first needed: a lookup of a header the head lacks finds it on the way.
      this._findLineEnd();
      this._headers = new Headers(this);
    }
    return this._headers;
  }
  _bodyBytes(): string {
    if (this._body !== null) return this._body;
    this._locateHead();
    return this._raw.slice(this._headEnd);
  }
  get body(): string {
    return bytesToText(this._bodyBytes());
  }
  set body(text: unknown) {
    this._setBody(textToBytes(String(text)));
  }
  get bytes(): Uint8Array {
    return byteStringToArray(this._bodyBytes());
  }
  set bytes(value: unknown) {
    this._setBody(arrayToByteString(value));
  }
  _setBody(b: string): void {
    const at = b.indexOf(GOR_SEPARATOR);
    if (at >= 0) {
      throw new InvalidFieldError(
        this._kind === 'request' ? 'req.body' : 'res.body',
        b.slice(Math.max(0, at - 20)),
        'a body cannot hold the .gor record separator (a newline, three monkeys, a newline)',
      );
    }
    const headers = this.headers;
    this._body = b;
    // A new body is sent whole: its length is known, so it is no longer chunked.
    if (headers.has('transfer-encoding')) headers.delete('transfer-encoding');
    if (headers.has('content-length') || b.length > 0) headers.set('Content-Length', String(b.length));
    this._dirty = true;
  }
  _startLine(): string {
    const line = this._parseLine();
    return `${line[0]} ${line[1]}${line[2] === '' ? '' : ` ${line[2]}`}`;
  }
  /** What changed relative to the raw bytes, null when nothing did. */
  _parts(): Parts | null {
    if (!this._dirty) return null;
    const h = this._headers;
    const raw = this._raw;
    if (h === null) return { keep: 0, middle: `${this._startLine()}\r\n`, resumeAt: this._lineEnd };
    if (!h._isEdited && this._body === null && !this._lineChanged) {
      // Only headers were added: they go in before the blank line.
      const added = h._pairs === null ? addedLines(h._added, 0) : addedLines(h._pairs, h._originalCount);
      this._locateHead();
      const at = this._headLinesEnd;
      if (at === raw.length) {
        // A head without its blank line (truncated capture): finish it.
        return { keep: at, middle: `${raw.charCodeAt(raw.length - 1) === 10 ? '' : '\r\n'}${added}\r\n`, resumeAt: at };
      }
      return added === '' ? null : { keep: at, middle: added, resumeAt: at };
    }
    const list = h._list;
    let out = `${this._startLine()}\r\n`;
    for (let i = 0; i < list.length; i += 2) out += `${list[i]}: ${list[i + 1]}\r\n`;
    return { keep: 0, middle: `${out}\r\n${this._bodyBytes()}`, resumeAt: raw.length };
  }
  /** The payload as a byte string, rebuilt only when something changed. */
  _serialize(): string {
    const p = this._parts();
    return p === null ? this._raw : this._raw.slice(0, p.keep) + p.middle + this._raw.slice(p.resumeAt);
  }
  toString(): string {
    return bytesToText(this._serialize());
  }
  toJSON(): { kind: MessageKind; id: string; text: string } {
    return { kind: this.kind, id: this.id, text: this.toString() };
  }
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

type QueryPair = [string, string | null];

class Query {
  _req: Request;
  constructor(req: Request) {
    this._req = req;
  }
  _pairs(): QueryPair[] {
    const url = this._req.url;
    const q = url.indexOf('?');
    if (q < 0 || q === url.length - 1) return [];
    return url
      .slice(q + 1)
      .split('&')
      .map((p): QueryPair => {
        const eq = p.indexOf('=');
        return eq < 0 ? [p, null] : [p.slice(0, eq), p.slice(eq + 1)];
      });
  }
  _write(pairs: QueryPair[]): void {
    const url = this._req.url;
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    this._req.url = pairs.length ? `${path}?${pairs.map((p) => (p[1] === null ? p[0] : `${p[0]}=${p[1]}`)).join('&')}` : path;
  }
  get(name: unknown): string | null {
    for (const [k, v] of this._pairs()) if (decode(k) === name) return v === null ? '' : decode(v);
    return null;
  }
  getAll(name: unknown): string[] {
    const out: string[] = [];
    for (const [k, v] of this._pairs()) if (decode(k) === name) out.push(v === null ? '' : decode(v));
    return out;
  }
  has(name: unknown): boolean {
    return this._pairs().some((p) => decode(p[0]) === name);
  }
  set(name: string, value: unknown): void {
    const pairs = this._pairs();
    const encoded: QueryPair = [encodeURIComponent(name), encodeURIComponent(String(value))];
    const i = pairs.findIndex((p) => decode(p[0]) === name);
    if (i < 0) pairs.push(encoded);
    else {
      pairs[i] = encoded;
      for (let j = pairs.length - 1; j > i; j--) if (decode(pairs[j]![0]) === name) pairs.splice(j, 1);
    }
    this._write(pairs);
  }
  delete(name: unknown): void {
    const pairs = this._pairs();
    const kept = pairs.filter((p) => decode(p[0]) !== name);
    if (kept.length !== pairs.length) this._write(kept);
  }
  entries(): Array<[string, string]> {
    return this._pairs().map(([k, v]) => [decode(k), v === null ? '' : decode(v)]);
  }
  toString(): string {
    const url = this._req.url;
    const q = url.indexOf('?');
    return q < 0 ? '' : url.slice(q + 1);
  }
}

class Request extends HttpMessage {
  get method(): string {
    return this._parseLine()[0];
  }
  set method(valueIn: unknown) {
    const line = this._parseLine();
    const v = String(valueIn);
    if (!TOKEN.test(v)) throw new InvalidFieldError('req.method', v, 'a method is a token, e.g. GET');
    if (v !== line[0]) this._changeLine(0, v);
  }
  get url(): string {
    return this._parseLine()[1];
  }
  set url(valueIn: unknown) {
    const line = this._parseLine();
    const v = String(valueIn);
    if (v === '' || NOT_URL_TEXT.test(v))
      throw new InvalidFieldError(
        'req.url',
        v,
        'a url is not empty and has no spaces, control characters or characters above U+00FF (percent-encode text: encodeURI)',
      );
    if (v !== line[1]) this._changeLine(1, v);
  }
  get path(): string {
    const url = this.url;
    const q = url.indexOf('?');
    return q < 0 ? url : url.slice(0, q);
  }
  set path(v: unknown) {
    const url = this.url;
    const q = url.indexOf('?');
    this.url = String(v) + (q < 0 ? '' : url.slice(q));
  }
  get query(): Query {
    return new Query(this);
  }
  get version(): string {
    return this._parseLine()[2];
  }
  clone(): Request {
    const copy = new Request(this._kind, this.id, this._serialize(), this._source, this.timestamp);
    copy._clone = true;
    return copy;
  }
}

class Response extends HttpMessage {
  get version(): string {
    return this._parseLine()[0];
  }
  get status(): number {
    return Number(this._parseLine()[1]);
  }
  set status(v: unknown) {
    const line = this._parseLine();
    const n = Number(v);
    if (!Number.isInteger(n) || n < 100 || n > 999) throw new InvalidFieldError('res.status', v, 'a status is an integer from 100 to 999');
    if (String(n) !== line[1]) this._changeLine(1, String(n));
  }
  get statusText(): string {
    return this._parseLine()[2];
  }
  set statusText(valueIn: unknown) {
    const line = this._parseLine();
    const v = String(valueIn);
    if (NOT_FIELD_TEXT.test(v))
      throw new InvalidFieldError(
        'res.statusText',
        v,
        'a status text cannot contain control characters other than tab (such as CR, LF or NUL) or characters above U+00FF',
      );
    if (v !== line[2]) this._changeLine(2, v);
  }
  clone(): Response {
    const copy = new Response(this._kind, this.id, this._serialize(), this._source, this.timestamp);
    copy._clone = true;
    return copy;
  }
}

/** A message kept for correlation: its payload as sent on, and its own timestamp. */
interface Remembered {
  raw: string;
  timestamp: bigint;
}

function boundedSet(map: Map<string, Remembered>, key: string, value: Remembered): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > CORRELATION_CAPACITY) map.delete(map.keys().next().value as string);
}

// The script's store lives here, filled by the host when the isolate is built: a script reads and
// writes it without leaving the isolate. The host keeps a copy, which outlives this isolate: each
// call's result carries the net changes it made (key -> JSON, or null for a delete).
let scriptStore: ScriptStore | null = null;
let storeChanges = new Map<string, string | null>();
function storeKey(key: unknown, op: string): string {
  if (typeof key !== 'string') throw new TypeError(`store.${op}(): a key is a string, not ${typeof key}`);
  return key;
}
function takeStoreChanges(): [string, string | null][] {
  if (storeChanges.size === 0) return [];
  const changes = [...storeChanges];
  storeChanges = new Map();
  return changes;
}
// The ids and timestamps of the batch in hand stay on the host until a script (or correlation) reads
// one: most scripts never do, and the batch crosses the boundary without them.
let fetchDetails: DetailsCall | null = null;
export function bindDetails(call: DetailsCall): void {
  fetchDetails = call;
}
/** A call's batch: its number, and its ids and timestamps once sent or fetched (a view kept by a script reads its own). */
interface CallBatch {
  call: number;
  sent: BatchDetails | null;
  details: { ids: string[]; timestamps: BigUint64Array } | null;
}
function detailsOf(batch: CallBatch): { ids: string[]; timestamps: BigUint64Array } {
  if (batch.details === null) {
    const given = batch.sent ?? fetchDetails!(batch.call);
    if (given === null) {
      throw new RangeError(
        'the id and timestamp of a message from an earlier batch are gone: read them in the hook that received it (and keep them in a variable)',
      );
    }
    batch.details = { ids: given.ids.split('\n'), timestamps: given.timestamps };
  }
  return batch.details;
}

export function bindStore(entries: [string, string][], limits: ScriptStoreLimits): void {
  const held = new ScriptStore(limits, entries);
  scriptStore = held;
  const store = Object.freeze({
    get(key: unknown): unknown {
      const json = held.get(storeKey(key, 'get'));
      return json === undefined ? undefined : JSON.parse(json);
    },
    has(key: unknown): boolean {
      return held.has(storeKey(key, 'has'));
    },
    set(key: unknown, value: unknown): void {
      const k = storeKey(key, 'set');
      const json = JSON.stringify(value) as string | undefined;
      if (json === undefined) throw new TypeError(`store.set("${k}"): the value must be JSON (not undefined, a function or a symbol)`);
      const refused = held.set(k, json);
      if (refused !== undefined) throw new RangeError(refused);
      storeChanges.set(k, json);
    },
    delete(key: unknown): boolean {
      const k = storeKey(key, 'delete');
      const removed = held.delete(k);
      if (removed) storeChanges.set(k, null);
      return removed;
    },
  });
  Object.defineProperty(globalThis, 'store', { value: store, writable: false, configurable: false });
}

/** The whole store, for the host after a timeout (what this isolate holds is then the truth). */
export function dumpStore(): [string, string][] {
  storeChanges = new Map();
  return scriptStore === null ? [] : scriptStore.all();
}

type Hook = (...views: Array<HttpMessage | null>) => unknown;
let hooks: Record<HookName, Hook | null> = { request: null, response: null, replayedResponse: null };
const requestsById = new Map<string, Remembered>();
const responsesById = new Map<string, Remembered>();

export function install(namespace: Record<string, unknown>): HookName[] {
  const pick = (name: HookName): Hook | null => (typeof namespace[name] === 'function' ? (namespace[name] as Hook) : null);
  hooks = { request: pick('request'), response: pick('response'), replayedResponse: pick('replayedResponse') };
  return (['request', 'response', 'replayedResponse'] as const).filter((k) => hooks[k] !== null);
}

/** Numbers per row of OutputRows (sandbox-wire.ts): source, keep, middleStart, middleEnd, resumeAt, checkFrom. */
const ROW_WIDTH = 6;

/** The outputs of one call so far, as growing rows (see OutputRows). */
class Outputs {
  rows: number[] = [];
  /** The changed parts, appended (V8 keeps the appends as a rope, flattened once when copied out). */
  middles = '';
  /**
   * The last part appended, and where: the usual script adds the same header to every message, sent once.
   * Only parts spliced after a kept prefix share (a payload sent whole is a view of its part on the host).
   */
  private lastMiddle = '';
  private lastMiddleAt = 0;
  idChanges: IdChange[] = [];
  failures: HookFailure[] = [];
  /** The message in hand. */
  inHand: number;
  log: CallLog;
  /** Messages the hooks dropped (returned null or an empty array). */
  dropped = 0;

  constructor(start: number, log: CallLog) {
    this.inHand = start;
    this.log = log;
  }
  get length(): number {
    return this.rows.length / ROW_WIDTH;
  }
  add(source: number, keep: number, middle: string, resumeAt: number, checkFrom: number): number {
    let at = this.middles.length;
    if (keep > 0 && middle !== '' && middle === this.lastMiddle) at = this.lastMiddleAt;
    else if (middle !== '') {
      this.middles += middle;
      this.lastMiddle = middle;
      this.lastMiddleAt = at;
    }
    this.rows.push(source, keep, at, at + middle.length, resumeAt, checkFrom);
    return this.rows.length / ROW_WIDTH - 1;
  }
  /** Withdraws the outputs of this source (the last ones), and their id changes. */
  withdraw(source: number): void {
    let n = this.length;
    while (n > 0 && this.rows[(n - 1) * ROW_WIDTH] === source) n--;
    this.rows.length = n * ROW_WIDTH;
    while (this.idChanges.length > 0 && this.idChanges[this.idChanges.length - 1]!.output >= n) this.idChanges.length--;
  }
  result(): BatchResult {
    return {
      outputs: Int32Array.from(this.rows),
      middles: this.middles,
      idChanges: this.idChanges,
      failures: this.failures,
      logs: this.log.lines,
      logsLeftOut: this.log.leftOut,
      dropped: this.dropped,
      inHand: this.inHand,
      storeChanges: takeStoreChanges(),
    };
  }
}

/** The outputs of calls that did not finish (a timeout ended them), by call number; the host asks for them once. */
const unfinished = new Map<number, Outputs>();
const UNFINISHED_CAPACITY = 8;

/** Adds a view the hook returned; a clone or a message from elsewhere is sent whole. */
function emit(out: Outputs, view: HttpMessage, original: string, source: number): HttpMessage {
  let row: number;
  if (view._raw === original && view._source === source && !view._clone) {
    const p = view._parts();
    // Only the changed part travels back: the host splices it into the bytes it already has.
    // A new record separator can only start in the changed part or just before it.
    row =
      p === null
        ? out.add(source, -1, '', 0, 0)
        : out.add(source, p.keep, p.middle, p.resumeAt, Math.max(0, p.keep - GOR_SEPARATOR.length + 1));
  } else {
    row = out.add(source, 0, view._serialize(), original.length, 0);
  }
  if (view._idChanged) out.idChanges.push({ output: row, id: view.id });
  return view;
}

function correlated(id: string, map: Map<string, Remembered>, kind: 'request'): Request | null;
function correlated(id: string, map: Map<string, Remembered>, kind: 'response'): Response | null;
function correlated(id: string, map: Map<string, Remembered>, kind: 'request' | 'response'): HttpMessage | null {
  const kept = map.get(id);
  if (kept === undefined) return null;
  return kind === 'request'
    ? new Request('request', id, kept.raw, -1, kept.timestamp)
    : new Response('response', id, kept.raw, -1, kept.timestamp);
}

export function run(input: BatchInput): BatchResult {
  const { kinds, payloads, offsets } = input;
  const correlate = hooks.response !== null || hooks.replayedResponse !== null;
  const batch: CallBatch = {
    call: input.call,
    sent: input.ids !== undefined && input.timestamps !== undefined ? { ids: input.ids, timestamps: input.timestamps } : null,
    details: null,
  };
  // Correlation reads every id and timestamp; otherwise they are fetched when a script reads one.
  const idList = correlate ? detailsOf(batch).ids : null;
  const timestamps = correlate ? detailsOf(batch).timestamps : null;
  log = { lines: [], leftOut: 0 };
  const out = new Outputs(input.start, log);
  if (unfinished.size >= UNFINISHED_CAPACITY) unfinished.clear();
  unfinished.set(input.call, out);
  const n = kinds.length;
  for (let i = input.start; i < n; i++) {
    out.inHand = i;
    const kind = kinds.charCodeAt(i);
    const raw = payloads.slice(offsets[i], offsets[i + 1]);
    // Null only when nothing correlates: the response hooks and the correlation below read it (as id!).
    const id = idList === null ? null : idList[i]!;
    let view: HttpMessage;
    let hook: HookName = 'request';
    let result: unknown;
    try {
      if (kind === 49) {
        view = new Request('request', id, raw, i, undefined, batch);
        result = hooks.request === null ? view : hooks.request(view);
      } else if (kind === 50) {
        view = new Response('response', id, raw, i, undefined, batch);
        hook = 'response';
        result = hooks.response === null ? view : hooks.response(view, correlated(id!, requestsById, 'request'));
      } else {
        view = new Response('replayed-response', id, raw, i, undefined, batch);
        hook = 'replayedResponse';
        result =
          hooks.replayedResponse === null
            ? view
            : hooks.replayedResponse(view, correlated(id!, requestsById, 'request'), correlated(id!, responsesById, 'response'));
      }
      if (result === undefined) result = view;
      let first: HttpMessage | undefined;
      if (result === null) out.dropped++;
      else if (Array.isArray(result)) {
        if (result.length === 0) out.dropped++;
        for (const item of result) {
          if (!(item instanceof HttpMessage))
            throw new TypeError(`${hook}() returned an array holding something other than a message (use msg.clone())`);
          const sent = emit(out, item, raw, i);
          if (first === undefined) first = sent;
        }
      } else if (result instanceof HttpMessage) first = emit(out, result, raw, i);
      else if (typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
        throw new TypeError(`${hook}() must be synchronous: it returned a promise (is it an async function?)`);
      } else throw new TypeError(`${hook}() must return the message, null (drop) or an array of messages, not ${typeof result}`);
      if (correlate) {
        // Kept as sent on (what staging saw), with their own timestamps.
        if (kind === 49) {
          if (first !== undefined) boundedSet(requestsById, id!, { raw: first._serialize(), timestamp: timestamps![i]! });
        } else if (kind === 50)
          boundedSet(responsesById, id!, { raw: first === undefined ? raw : first._serialize(), timestamp: timestamps![i]! });
        else {
          requestsById.delete(id!);
          responsesById.delete(id!);
        }
      }
    } catch (error) {
      // Outputs already added for this message are withdrawn: the host applies the error policy.
      out.withdraw(i);
      out.failures.push({
        index: i,
        hook,
        kind: error instanceof InvalidFieldError ? 'invalid' : 'error',
        message: error instanceof Error ? `${error.name}: ${error.message}` : `thrown: ${show(error)}`,
        stack: error instanceof Error && typeof error.stack === 'string' ? error.stack : '',
      });
    }
  }
  out.inHand = n;
  unfinished.delete(input.call);
  return out.result();
}

export function partial(call: number): BatchResult | null {
  const out = unfinished.get(call);
  if (out === undefined) return null;
  unfinished.delete(call);
  // The message in hand produced nothing usable.
  out.withdraw(out.inHand);
  return out.result();
}

// The runner relies on these built-ins: a script may not replace them (which would corrupt what the
// host reads back). Frozen before the script is loaded.
const TypedArray = Object.getPrototypeOf(Int32Array) as object;
for (const c of [
  Object,
  Array,
  String,
  Number,
  Boolean,
  BigInt,
  Symbol,
  Map,
  Set,
  RegExp,
  Function,
  Error,
  TypeError,
  JSON,
  Math,
  Reflect,
  TypedArray,
  Int32Array,
  Uint8Array,
  BigUint64Array,
  ArrayBuffer,
]) {
  Object.freeze(c);
  const prototype = (c as { prototype?: object }).prototype;
  if (prototype) Object.freeze(prototype);
}
Object.freeze(Object.getPrototypeOf([][Symbol.iterator]()));
Object.freeze(Object.getPrototypeOf(''[Symbol.iterator]()));
for (const c of [Headers, HttpMessage, Request, Response, Query, InvalidFieldError, Outputs, ScriptStore]) {
  Object.freeze(c);
  Object.freeze(c.prototype);
}
