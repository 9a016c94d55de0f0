/**
 * Cuts one direction of a reassembled TCP stream into HTTP/1.x messages: request or status line,
 * headers, then a body framed by Content-Length, chunked encoding, or (responses only) the end of
 * the connection. Pipelined messages are split; responses to HEAD and 1xx/204/304 have no body.
 * Anything that does not start like HTTP makes the stream non-HTTP, and it is skipped.
 */

import { latin1Text } from '@reprise/core';

export type FramerRole = 'request' | 'response';

export interface FramedMessage {
  payload: Uint8Array;
  /** Time of the packet holding the first byte, and of the packet holding the last byte. */
  startSeconds: number;
  startNanoseconds: number;
  endSeconds: number;
  endNanoseconds: number;
  /** Request method, or '' for responses. */
  method: string;
  /** Response status code, or 0 for requests. */
  status: number;
  /** A request whose head carries `Upgrade: h2c` (the connection may switch to HTTP/2). */
  asksForH2c: boolean;
}

export interface FramerEvents {
  message(message: FramedMessage): void;
  /** A message in progress was lost: `reason` says why. */
  lost(reason: 'gap' | 'incomplete'): void;
  /** The stream turned out not to be HTTP/1.x (counted once per stream). */
  notHttp(): void;
  /** For responses: the method of the request this response answers (HEAD responses have no body). */
  requestMethod?(): string | undefined;
  /** After a 101 response: the bytes that followed its head in the same push (the new protocol's first bytes). */
  switched?(rest: Uint8Array, seconds: number, nanoseconds: number): void;
  /** A message begins with the bytes being pushed (the tracker notes the segment it came in). */
  started?(): void;
}

export interface FramerOptions {
  /** --input-raw-allow-incomplete: a message unfinished when its stream ends is handed over as it is. */
  allowIncomplete?: boolean;
}

type State = 'start' | 'head' | 'length' | 'chunked' | 'until-close' | 'skip' | 'resync';
type ChunkState = 'size' | 'ext' | 'size-lf' | 'data' | 'data-cr' | 'data-lf' | 'trailer' | 'trailer-line' | 'trailer-lf';

const CR = 13;
const LF = 10;
const MAX_HEAD_BYTES = 64 * 1024;
const COLON = 58;
const HTTP_PREFIX = [72, 84, 84, 80, 47]; // "HTTP/"
/** The usual methods, returned as these strings instead of a new one per request. */
const COMMON_METHODS = ['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH'];

/** The method of a request line the pattern checked (a token, then a space). */
function methodOf(text: string): string {
  const space = text.indexOf(' ');
  for (const method of COMMON_METHODS) if (method.length === space && text.startsWith(method)) return method;
  return text.slice(0, space);
}

/** A head's first line; lastIndex is then where the headers start. */
const REQUEST_LINE = /([A-Z_-]+) \S+ HTTP\/1\.[01]\r?\n/y;
const STATUS_LINE = /HTTP\/1\.[01] (\d{3})(?: [^\r\n]*)?\r?\n/y;

export class HttpFramer {
  private state: State = 'start';
  private parts: Uint8Array[] = [];
  /** The segment the last part is a view of, and where in it that view ends: the next bytes of it widen the view. */
  private lastBytes: Uint8Array | undefined;
  private lastFrom = 0;
  private lastTo = 0;
  private size = 0;
  /** How many bytes of "\r\n\r\n" (or "\n\n") the head scan has matched. */
  private headMatch = 0;
  private remaining = 0;
  private chunkState: ChunkState = 'size';
  private chunkSize = 0;
  private startSeconds = 0;
  private startNanoseconds = 0;
  private method = '';
  private status = 0;
  private asksForH2c = false;
  /** Set after a gap until a message frames cleanly: a false start then means "keep looking", not "not HTTP". */
  private isResyncing = false;

  constructor(
    readonly role: FramerRole,
    private readonly events: FramerEvents,
    private readonly options: FramerOptions = {},
  ) {}

  push(bytes: Uint8Array, seconds: number, nanoseconds: number): void {
    let at = 0;
    const length = bytes.length;
    while (at < length) {
      switch (this.state) {
        case 'skip':
          return;
        case 'resync':
          // After lost bytes, only a segment that starts like a message can start one.
          if (at !== 0 || !this.looksLikeStart(bytes, 0)) return;
          this.state = 'start';
          this.isResyncing = true;
          continue;
        case 'start':
          // Stray CRLFs between messages (some clients send one after a body) are ignored, as servers do.
          if (bytes[at] === CR || bytes[at] === LF) {
            at++;
            continue;
          }
          if (!this.looksLikeStart(bytes, at)) {
            this.becomeNotHttp();
            return;
          }
          this.startSeconds = seconds;
          this.startNanoseconds = nanoseconds;
          this.state = 'head';
          this.headMatch = 0;
          this.method = '';
          this.status = 0;
          this.events.started?.();
          continue;
        case 'head': {
          let i = at;
          let m = this.headMatch;
          // m: 0 nothing, 1 after LF, 2 after LF CR; an LF in state 1 or 2 ends the head.
          for (; i < length; i++) {
            // The blank line is two to three bytes, all CR or LF: from state 0, when the second of two bytes
            // is neither, no match ends at either and the state is 0 after them (every other byte read).
            if (m === 0 && i + 1 < length) {
              const next = bytes[i + 1]!;
              if (next !== LF && next !== CR) {
                i++;
                continue;
              }
            }
            const b = bytes[i]!;
            if (b === LF) {
              if (m !== 0) {
                m = 3;
                i++;
                break;
              }
              m = 1;
            } else if (b === CR) {
              m = m === 1 ? 2 : 0;
            } else {
              m = 0;
            }
          }
          this.headMatch = m;
          this.keep(bytes, at, i);
          at = i;
          if (m === 3) {
            if (!this.beginBody()) {
              if (this.status === 101 && (this.state as State) === 'skip') this.events.switched?.(bytes.subarray(at), seconds, nanoseconds);
              return;
            }
          } else if (this.size > MAX_HEAD_BYTES) {
            this.becomeNotHttp();
            return;
          }
          break;
        }
        case 'length': {
          const take = Math.min(this.remaining, length - at);
          this.keep(bytes, at, at + take);
          at += take;
          this.remaining -= take;
          if (this.remaining === 0) this.finish(seconds, nanoseconds);
          break;
        }
        case 'chunked': {
          const end = this.scanChunked(bytes, at);
          this.keep(bytes, at, end);
          at = end;
          if (this.state === 'chunked' && this.chunkState === 'trailer' && this.remaining === -1) {
            this.remaining = 0;
            this.finish(seconds, nanoseconds);
          }
          break;
        }
        case 'until-close':
          this.keep(bytes, at, length);
          at = length;
          break;
      }
    }
    // Parts may point into `bytes`; the reassembler hands over arrays it does not reuse.
  }

  /**
   * The capture joined the connection after it began (no SYN seen): the first bytes may be the middle
   * of a message, so wait for a segment that starts one instead of calling the stream non-HTTP.
   */
  joinMidStream(): void {
    if (this.state === 'start' && this.size === 0) this.state = 'resync';
  }

  /** Bytes were lost: drop the message in progress and wait for one that starts a segment. */
  gap(): void {
    if (this.state === 'skip') return;
    if (this.size > 0 || (this.state !== 'start' && this.state !== 'resync')) this.events.lost('gap');
    this.reset();
    this.state = 'resync';
  }

  /**
   * The stream ended: a body that runs until close is complete; anything else unfinished is lost
   * (counted), or with allowIncomplete counted and handed over as it is.
   */
  end(seconds: number, nanoseconds: number): void {
    if (this.state === 'until-close') {
      this.finish(seconds, nanoseconds);
    } else if (this.size > 0 && this.state !== 'skip' && this.state !== 'resync') {
      this.events.lost('incomplete');
      if (this.options.allowIncomplete) this.finish(seconds, nanoseconds);
    }
    this.reset();
    this.state = 'skip';
  }

  private reset(): void {
    this.clearParts();
    this.state = 'start';
  }

  private clearParts(): void {
    this.parts = [];
    this.size = 0;
    this.lastBytes = undefined;
  }

  /**
   * Keeps bytes from..to of a segment. Bytes that follow the last part in the same segment (a head, then its
   * body) widen that part's view, so a message that came in one segment needs no copy to join its parts.
   */
  private keep(bytes: Uint8Array, from: number, to: number): void {
    if (to <= from) return;
    const count = this.parts.length;
    if (bytes === this.lastBytes && from === this.lastTo && count > 0) {
      this.parts[count - 1] = this.lastFrom === 0 && to === bytes.length ? bytes : bytes.subarray(this.lastFrom, to);
    } else {
      const part = from === 0 && to === bytes.length ? bytes : bytes.subarray(from, to);
      // A one-element literal: the first push into an empty array would allocate room for 16.
      if (count === 0) this.parts = [part];
      else this.parts.push(part);
      this.lastBytes = bytes;
      this.lastFrom = from;
    }
    this.lastTo = to;
    this.size += to - from;
  }

  private becomeNotHttp(): void {
    this.clearParts();
    if (this.isResyncing) {
      // Body bytes after a gap merely looked like a start line: keep waiting for a real one.
      this.state = 'resync';
      return;
    }
    this.events.notHttp();
    this.state = 'skip';
  }

  /** A quick look at the first bytes: a method token and a space, or "HTTP/". */
  private looksLikeStart(bytes: Uint8Array, at: number): boolean {
    const n = Math.min(bytes.length - at, 16);
    if (this.role === 'response') {
      for (let i = 0; i < Math.min(n, 5); i++) if (bytes[at + i] !== HTTP_PREFIX[i]) return false;
      return true;
    }
    for (let i = 0; i < n; i++) {
      const b = bytes[at + i]!;
      if (b === 32) return i > 0;
      if (!((b >= 65 && b <= 90) || b === 45 || b === 95)) return false;
    }
    return true; // a short first segment: the start line check at the head end decides
  }

  /** Parses the head just completed and picks the body framing. False when it is not HTTP. */
  private beginBody(): boolean {
    const isOnePart = this.parts.length === 1;
    const head = this.concat();
    if (!isOnePart) {
      this.parts = [head];
      this.lastBytes = undefined; // the joined head is no view of a segment
    }
    const text = latin1Text(head, 0, head.length);
    let contentLength = -1;
    let isChunked = false;
    let isBadLength = false;
    this.asksForH2c = false;
    // test(), not exec(): no match array per message; the sticky pattern leaves lastIndex at the headers.
    const startLine = this.role === 'request' ? REQUEST_LINE : STATUS_LINE;
    startLine.lastIndex = 0;
    if (!startLine.test(text)) {
      this.becomeNotHttp();
      return false;
    }
    if (this.role === 'request') {
      this.method = methodOf(text);
      this.status = 0;
    } else {
      // "HTTP/1.x NNN": the pattern checked the three digits.
      this.method = '';
      this.status = (text.charCodeAt(9) - 48) * 100 + (text.charCodeAt(10) - 48) * 10 + (text.charCodeAt(11) - 48);
    }
    // Only the two framing headers (and a request's Upgrade) matter here; scan lines without building a header
    // list. Those names are 7, 14 and 17 characters, and a line's first colon ends its name: the first of those
    // offsets holding a colon is where such a name would end (a colon there in any other line gives a name with a
    // colon or line break in it, which matches none).
    let from = startLine.lastIndex;
    while (from < text.length) {
      let to = text.indexOf('\n', from);
      if (to < 0) to = text.length;
      const colon =
        text.charCodeAt(from + 7) === COLON
          ? from + 7
          : text.charCodeAt(from + 14) === COLON
            ? from + 14
            : text.charCodeAt(from + 17) === COLON
              ? from + 17
              : -1;
      if (colon >= 0 && colon < to) {
        const name = text.slice(from, colon).toLowerCase();
        const value = text.slice(colon + 1, to).trim();
        if (name === 'content-length') {
          if (/^\d+$/.test(value)) contentLength = Number(value);
          else isBadLength = true;
        } else if (name === 'transfer-encoding' && /(^|,)\s*chunked\s*$/i.test(value)) {
          isChunked = true;
        } else if (name === 'upgrade' && this.role === 'request' && value.toLowerCase() === 'h2c') {
          this.asksForH2c = true;
        }
      }
      from = to + 1;
    }
    if (isBadLength && !isChunked) {
      this.becomeNotHttp();
      return false;
    }
    let hasNoBody = false;
    if (this.role === 'response') {
      const s = this.status;
      const isInterim = s >= 100 && s < 200;
      if (isInterim || s === 204 || s === 304) hasNoBody = true;
      else if (this.events.requestMethod?.() === 'HEAD') hasNoBody = true;
      if (s === 101) {
        // The connection switches protocol (WebSocket…): what follows is not HTTP/1.
        this.finish(this.startSeconds, this.startNanoseconds);
        this.state = 'skip';
        return false;
      }
    }
    if (hasNoBody) {
      this.finish(this.startSeconds, this.startNanoseconds);
    } else if (isChunked) {
      this.state = 'chunked';
      this.chunkState = 'size';
      this.chunkSize = 0;
      this.remaining = 0;
    } else if (contentLength > 0) {
      this.state = 'length';
      this.remaining = contentLength;
    } else if (contentLength === 0 || this.role === 'request') {
      this.finish(this.startSeconds, this.startNanoseconds);
    } else {
      this.state = 'until-close';
    }
    return true;
  }

  /** Advances the chunked-body state machine; returns where it stopped (end of message or of bytes). */
  private scanChunked(bytes: Uint8Array, at: number): number {
    const length = bytes.length;
    let i = at;
    while (i < length) {
      switch (this.chunkState) {
        case 'data': {
          const take = Math.min(this.remaining, length - i);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.chunkState = 'data-cr';
          break;
        }
        case 'data-cr': {
          const b = bytes[i++]!;
          if (b === LF) this.chunkState = 'size';
          else if (b === CR) this.chunkState = 'data-lf';
          break;
        }
        case 'data-lf':
          i++;
          this.chunkState = 'size';
          break;
        case 'size': {
          const b = bytes[i++]!;
          const digit = hexValue(b);
          if (digit >= 0) this.chunkSize = this.chunkSize * 16 + digit;
          else if (b === CR) this.chunkState = 'size-lf';
          else if (b === LF) this.afterSize();
          else if (b === 59 /* ; */ || b === 32 || b === 9) this.chunkState = 'ext';
          break;
        }
        case 'ext': {
          const b = bytes[i++]!;
          if (b === LF) this.afterSize();
          break;
        }
        case 'size-lf':
          i++;
          this.afterSize();
          break;
        case 'trailer': {
          const b = bytes[i++]!;
          if (b === LF) {
            this.remaining = -1; // message complete
            return i;
          }
          this.chunkState = b === CR ? 'trailer-lf' : 'trailer-line';
          break;
        }
        case 'trailer-lf': {
          i++;
          this.remaining = -1;
          this.chunkState = 'trailer';
          return i;
        }
        case 'trailer-line': {
          const b = bytes[i++]!;
          if (b === LF) this.chunkState = 'trailer';
          break;
        }
      }
    }
    return i;
  }

  private afterSize(): void {
    if (this.chunkSize === 0) {
      this.chunkState = 'trailer';
    } else {
      this.remaining = this.chunkSize;
      this.chunkSize = 0;
      this.chunkState = 'data';
    }
  }

  private concat(): Uint8Array {
    if (this.parts.length === 1) return this.parts[0]!;
    const all = new Uint8Array(this.size);
    let o = 0;
    for (const p of this.parts) {
      all.set(p, o);
      o += p.length;
    }
    return all;
  }

  private finish(seconds: number, nanoseconds: number): void {
    const payload = this.concat();
    this.events.message({
      payload,
      startSeconds: this.startSeconds,
      startNanoseconds: this.startNanoseconds,
      endSeconds: seconds,
      endNanoseconds: nanoseconds,
      method: this.method,
      status: this.status,
      asksForH2c: this.asksForH2c,
    });
    this.clearParts();
    this.state = 'start';
    this.isResyncing = false;
  }
}

function hexValue(b: number): number {
  if (b >= 48 && b <= 57) return b - 48;
  if (b >= 97 && b <= 102) return b - 87;
  if (b >= 65 && b <= 70) return b - 55;
  return -1;
}
