/**
 * Finds where each HTTP/1.x response on a connection ends, reading only what framing needs: the
 * status line, Content-Length, Transfer-Encoding and Connection. Pure: fed bytes as they arrive (split
 * anywhere), it calls its sink; tested on bytes.
 *
 * Framing (RFC 9112 §6.3): a response to HEAD, a 1xx, 204 or 304 has no body; otherwise chunked
 * (extensions skipped; the trailer section handed over when responses are kept), else Content-Length, else the body runs until the
 * connection closes. 1xx heads are skipped: the final head follows on the same response.
 */
import { findHeadEnd } from '@reprise/core';
import { equalsIgnoringCase, isBlank } from './ascii-bytes.js';

export interface ResponseSink {
  /** Whether the response now being read answers a HEAD request (no body, whatever its head says). */
  isHeadRequest(): boolean;
  /** The final head; `rawHeaders` (name, value, … as received) only when the framer keeps responses, else empty. */
  onHead(statusCode: number, statusText: string, rawHeaders: Buffer[]): void;
  /** De-framed body bytes (chunk sizes and trailers removed), views of the received buffers; only when the framer keeps bodies. */
  onBody(chunk: Buffer): void;
  /**
   * The response is complete; `isLast`: the server closes the connection after it (Connection: close,
   * HTTP/1.0); `trailers`: a chunked body's trailer fields as [name, value, …], when responses are kept.
   */
  onEnd(isLast: boolean, trailers?: string[]): void;
}

enum State {
  Head,
  Length,
  UntilClose,
  ChunkSize,
  ChunkExtension,
  ChunkSizeLf,
  ChunkData,
  ChunkDataCr,
  ChunkDataLf,
  TrailerStart,
  TrailerLine,
  TrailerEndLf,
  /** After the connection closed, or an error: bytes are ignored. */
  Done,
}

/** Handed to onHead when headers are not kept (never written to). */
const NO_HEADERS: Buffer[] = [];
const CR = 13;
const LF = 10;
/** A head larger than this is refused rather than buffered without end. */
const MAX_HEAD_BYTES = 80 * 1024;
/** A trailer section larger than this is refused rather than buffered without end. */
const MAX_TRAILER_BYTES = 16 * 1024;
/** Chunk sizes above this (2^40) are refused rather than overflowing. */
const MAX_CHUNK_SIZE = 2 ** 40;

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** The decimal number bytes[start, end) spell, or -1 when they are not one (or too large). */
function decimalOf(bytes: Buffer, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const digit = bytes[i]! - 48;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

export class ResponseFramer {
  private state = State.Head;
  /** Bytes of a head not complete yet. */
  private pendingHead: Buffer | null = null;
  /** Body bytes left (Length) or bytes left of the current chunk (ChunkData). */
  private remaining = 0;
  private hasSizeDigit = false;
  private isLast = false;
  /** The trailer line being read and the fields read so far (only when responses are kept). */
  private trailerLine: number[] = [];
  private trailers: string[] | undefined;
  /** The last `Keep-Alive: timeout=N` a response gave, in ms (-1: none): how long the server keeps an idle connection. */
  keepAliveHintMs = -1;

  constructor(
    private readonly sink: ResponseSink,
    /** Whether onHead receives the header pairs and onBody the body (only when responses are tracked). */
    private readonly keepsResponses: boolean,
  ) {}

  /** Whether a response is partly read (bytes received, end not yet). */
  get isMidResponse(): boolean {
    return this.state !== State.Head && this.state !== State.Done ? true : this.pendingHead !== null;
  }

  /** Reads the next bytes; returns an error text when they are not an HTTP/1.x response (then nothing more is read). */
  push(data: Buffer): string | undefined {
    let at = 0;
    while (at < data.length) {
      switch (this.state) {
        case State.Head: {
          const next = this.readHead(data, at);
          if (typeof next === 'string') return this.fail(next);
          at = next;
          break;
        }
        case State.Length: {
          const n = Math.min(this.remaining, data.length - at);
          if (this.keepsResponses) this.sink.onBody(data.subarray(at, at + n));
          at += n;
          this.remaining -= n;
          if (this.remaining === 0) this.end();
          break;
        }
        case State.UntilClose:
          if (this.keepsResponses) this.sink.onBody(at === 0 ? data : data.subarray(at));
          return undefined;
        case State.ChunkData: {
          const n = Math.min(this.remaining, data.length - at);
          if (this.keepsResponses) this.sink.onBody(data.subarray(at, at + n));
          at += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = State.ChunkDataCr;
          break;
        }
        case State.Done:
          return undefined;
        default: {
          const problem = this.readChunkByte(data[at]!);
          if (problem) return this.fail(problem);
          at++;
        }
      }
    }
    return undefined;
  }

  /**
   * The connection closed: ends a body that runs until the close. Returns false when a response was
   * cut short (its head or body incomplete).
   */
  finish(): boolean {
    if (this.state === State.UntilClose) {
      this.state = State.Done;
      this.sink.onEnd(true);
      return true;
    }
    const wasMid = this.isMidResponse;
    this.state = State.Done;
    this.pendingHead = null;
    return !wasMid;
  }

  private fail(problem: string): string {
    this.state = State.Done;
    this.pendingHead = null;
    return problem;
  }

  private end(): void {
    // a response announced as the last may still be followed by others: the sink decides what to read
    this.state = State.Head;
    const trailers = this.trailers;
    this.trailers = undefined;
    this.sink.onEnd(this.isLast, trailers);
  }

  /** Keeps one trailer field (`name: value`, the CR already dropped); a line without a colon is skipped. */
  private keepTrailerLine(): string | undefined {
    const line = Buffer.from(this.trailerLine).toString('latin1');
    this.trailerLine = [];
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    this.trailers ??= [];
    this.trailers.push(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    let size = 0;
    for (const part of this.trailers) size += part.length;
    return size > MAX_TRAILER_BYTES ? 'trailer section too large' : undefined;
  }

  /** Reads a head starting at `at` (or continuing the pending one); returns where the body starts. */
  private readHead(data: Buffer, at: number): number | string {
    let bytes = data;
    let start = at;
    let searchFrom = at;
    if (this.pendingHead) {
      const pending = this.pendingHead;
      bytes = Buffer.concat([pending, data.subarray(at)]);
      start = 0;
      searchFrom = Math.max(0, pending.length - 3);
    } else {
      // a CRLF between responses is tolerated (RFC 9112 §2.2)
      while (start < data.length && (data[start] === CR || data[start] === LF)) start++;
      if (start === data.length) return start;
      searchFrom = start;
    }
    const end = findHeadEnd(bytes, searchFrom);
    if (end < 0) {
      if (bytes.length - start > MAX_HEAD_BYTES) return `response head larger than ${MAX_HEAD_BYTES} bytes`;
      // a copy: the bytes may be read into a buffer that the next read overwrites
      this.pendingHead = Buffer.from(start === 0 ? bytes : bytes.subarray(start));
      return data.length;
    }
    this.pendingHead = null;
    const problem = this.parseHead(bytes, start, end);
    if (problem) return problem;
    // the offset in `data` where the body starts
    return bytes === data ? end : data.length - (bytes.length - end);
  }

  private parseHead(bytes: Buffer, start: number, end: number): string | undefined {
    // "HTTP/1.x SSS reason"
    if (end - start < 12 || !equalsIgnoringCase(bytes, start, start + 7, 'http/1.')) return 'not an HTTP/1.x status line';
    const minor = bytes[start + 7]! - 48;
    const d1 = bytes[start + 9]! - 48;
    const d2 = bytes[start + 10]! - 48;
    const d3 = bytes[start + 11]! - 48;
    const after = bytes[start + 12];
    if (
      bytes[start + 8] !== 32 ||
      !(d1 >= 1 && d1 <= 9 && d2 >= 0 && d2 <= 9 && d3 >= 0 && d3 <= 9) ||
      !(after === 32 || after === CR || after === LF)
    ) {
      return 'bad status line';
    }
    const status = d1 * 100 + d2 * 10 + d3;
    let lineEnd = bytes.indexOf(LF, start);
    const statusText =
      bytes[start + 12] === 32 ? bytes.toString('latin1', start + 13, bytes[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd) : '';

    const rawHeaders: Buffer[] = this.keepsResponses ? [] : NO_HEADERS;
    let contentLength = -1;
    let isChunked = false;
    let hasClose = false;
    let hasKeepAlive = false;
    let line = lineEnd + 1;
    while (line < end) {
      lineEnd = bytes.indexOf(LF, line);
      const stop = bytes[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd;
      const colon = stop > line && !isBlank(bytes[line]) ? bytes.indexOf(58 /* : */, line) : -1;
      if (colon > line && colon < stop) {
        let valueStart = colon + 1;
        let valueEnd = stop;
        while (valueStart < valueEnd && isBlank(bytes[valueStart])) valueStart++;
        while (valueEnd > valueStart && isBlank(bytes[valueEnd - 1])) valueEnd--;
        if (this.keepsResponses) rawHeaders.push(bytes.subarray(line, colon), bytes.subarray(valueStart, valueEnd));
        const nameLength = colon - line;
        if (nameLength === 14 && equalsIgnoringCase(bytes, line, colon, 'content-length')) {
          const n = decimalOf(bytes, valueStart, valueEnd);
          if (n < 0 || (contentLength >= 0 && n !== contentLength))
            return `bad Content-Length "${bytes.toString('latin1', valueStart, valueEnd)}"`;
          contentLength = n;
        } else if (nameLength === 17 && equalsIgnoringCase(bytes, line, colon, 'transfer-encoding')) {
          // chunked is the last coding when present (RFC 9112 §6.1)
          isChunked = /(^|,)[ \t]*chunked$/i.test(bytes.toString('latin1', valueStart, valueEnd));
        } else if (nameLength === 10 && equalsIgnoringCase(bytes, line, colon, 'connection')) {
          // the usual single token is compared in place; a list is split
          if (equalsIgnoringCase(bytes, valueStart, valueEnd, 'keep-alive')) hasKeepAlive = true;
          else if (equalsIgnoringCase(bytes, valueStart, valueEnd, 'close')) hasClose = true;
          else {
            const tokens = bytes.toString('latin1', valueStart, valueEnd).toLowerCase();
            if (/(^|,)[ \t]*close[ \t]*(,|$)/.test(tokens)) hasClose = true;
            if (/(^|,)[ \t]*keep-alive[ \t]*(,|$)/.test(tokens)) hasKeepAlive = true;
          }
        } else if (nameLength === 10 && equalsIgnoringCase(bytes, line, colon, 'keep-alive')) {
          const timeout = /(?:^|[,;\s])timeout=(\d+)/i.exec(bytes.toString('latin1', valueStart, valueEnd));
          if (timeout) this.keepAliveHintMs = Number(timeout[1]) * 1000;
        }
      }
      line = lineEnd + 1;
    }

    if (status < 200) {
      if (status === 101) return 'the target switched protocols (101), which replay does not follow';
      return undefined; // informational: the final head follows
    }
    this.isLast = hasClose || (minor === 0 && !hasKeepAlive);
    this.sink.onHead(status, statusText, rawHeaders);
    if (status === 204 || status === 304 || this.sink.isHeadRequest()) {
      this.end();
    } else if (isChunked) {
      this.state = State.ChunkSize;
      this.remaining = 0;
      this.hasSizeDigit = false;
    } else if (contentLength >= 0) {
      this.remaining = contentLength;
      if (contentLength === 0) this.end();
      else this.state = State.Length;
    } else {
      this.isLast = true;
      this.state = State.UntilClose;
    }
    return undefined;
  }

  /** One byte of chunked framing outside chunk data: sizes, extensions, the CRLF after data, trailers. */
  private readChunkByte(code: number): string | undefined {
    switch (this.state) {
      case State.ChunkSize: {
        const digit = hexValue(code);
        if (digit >= 0) {
          this.remaining = this.remaining * 16 + digit;
          this.hasSizeDigit = true;
          if (this.remaining > MAX_CHUNK_SIZE) return 'chunk size too large';
          return undefined;
        }
        if (!this.hasSizeDigit) return 'bad chunk size';
        if (code === 59 /* ; */ || isBlank(code)) this.state = State.ChunkExtension;
        else if (code === CR) this.state = State.ChunkSizeLf;
        else if (code === LF) this.endSizeLine();
        else return 'bad chunk size';
        return undefined;
      }
      case State.ChunkExtension:
        if (code === LF) this.endSizeLine();
        return undefined;
      case State.ChunkSizeLf:
        if (code !== LF) return 'bad chunk size line';
        this.endSizeLine();
        return undefined;
      case State.ChunkDataCr:
        if (code === CR) this.state = State.ChunkDataLf;
        else if (code === LF) this.startChunkSize();
        else return 'chunk data longer than its size';
        return undefined;
      case State.ChunkDataLf:
        if (code !== LF) return 'chunk data longer than its size';
        this.startChunkSize();
        return undefined;
      case State.TrailerStart:
        if (code === CR) this.state = State.TrailerEndLf;
        else if (code === LF) this.end();
        else {
          this.state = State.TrailerLine;
          if (this.keepsResponses) this.trailerLine = [code];
        }
        return undefined;
      case State.TrailerLine:
        if (code === LF) {
          this.state = State.TrailerStart;
          if (this.keepsResponses) return this.keepTrailerLine();
        } else if (this.keepsResponses && code !== CR) {
          if (this.trailerLine.length >= MAX_TRAILER_BYTES) return 'trailer section too large';
          this.trailerLine.push(code);
        }
        return undefined;
      case State.TrailerEndLf:
        if (code !== LF) return 'bad end of trailer section';
        this.end();
        return undefined;
    }
    return undefined;
  }

  private startChunkSize(): void {
    this.state = State.ChunkSize;
    this.remaining = 0;
    this.hasSizeDigit = false;
  }

  private endSizeLine(): void {
    this.state = this.remaining === 0 ? State.TrailerStart : State.ChunkData;
  }
}
