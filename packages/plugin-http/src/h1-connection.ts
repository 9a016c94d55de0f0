/**
 * One HTTP/1.1 connection of the sender: writes the requests handed to it (those of one tick joined
 * into one write), pipelined, and reads their responses in order with the response framer, handing
 * each to its exchange. When the connection ends it tells its owner which requests were left
 * unanswered and why, so the owner can send them again or count them.
 */
import { connect, type Socket } from 'node:net';
import type { H1Request } from './h1-request-head.js';
import { ResponseFramer, type ResponseSink } from './h1-response-framer.js';
import type { ReplayExchange } from './replay-exchange.js';

export interface H1Job {
  exchange: ReplayExchange;
  request: H1Request;
  /** Times it was sent again after its connection dropped. */
  retries: number;
}

export interface H1ConnectionEnd {
  /** Requests written but neither answered nor already counted, in the order they were sent. */
  unanswered: H1Job[];
  /** Requests handed to the connection but not written yet (held behind a non-idempotent one, or not flushed). */
  unsent: H1Job[];
  /** Why the connection ended; undefined when the server announced it (Connection: close) or it was idle. */
  error: Error | undefined;
  /** False when the connection was never established (refused, connect timeout): nothing reached the server. */
  wasConnected: boolean;
}

export interface H1ConnectionOwner {
  /** Answered requests left room for more. */
  onRoom(connection: H1Connection): void;
  onEnd(connection: H1Connection, end: H1ConnectionEnd): void;
}

export interface H1ConnectionOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  keepsResponses: boolean;
}

/** Where untracked responses are read (each read is framed before the next one). */
const SHARED_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

function codedError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

export class H1Connection implements ResponseSink {
  /**
   * Requests handed over and not answered yet, oldest first: the first is the one being answered.
   * jobs[0, written) are on the wire, jobs[written, staged) in `pending` for the next write, the rest
   * held: nothing goes out beside a non-idempotent request.
   */
  private readonly jobs: H1Job[] = [];
  private written = 0;
  private staged = 0;
  /** A non-idempotent request is staged and not answered: the requests after it are held. */
  private isBlocked = false;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private isWriteScheduled = false;
  private isConnected = false;
  /** Takes no more requests: the server announced the close, or the connection is being destroyed. */
  private isEnding = false;
  private error: Error | undefined;
  private idleTimeoutMs: number;
  private readonly socket: Socket;
  private readonly framer: ResponseFramer;
  private readonly abortOne = (error?: Error): void => this.destroy(error ?? codedError('request aborted', 'UND_ERR_ABORTED'));
  private readonly writePending = (): void => this.flush();
  private readonly onRead = (length: number, buffer: Uint8Array): boolean => {
    this.read(Buffer.from(buffer.buffer, buffer.byteOffset, length));
    return true;
  };

  constructor(
    private readonly owner: H1ConnectionOwner,
    options: H1ConnectionOptions,
  ) {
    this.framer = new ResponseFramer(this, options.keepsResponses);
    this.idleTimeoutMs = options.idleTimeoutMs;
    // Untracked responses are only framed, nothing of them is kept: they are read into one shared
    // buffer, without a Buffer and a stream event per read. Tracked ones keep views of what was read.
    const onread = options.keepsResponses ? undefined : { buffer: SHARED_READ_BUFFER, callback: this.onRead };
    const socket = connect({ host: options.host, port: options.port, noDelay: true, onread });
    this.socket = socket;
    if (options.keepsResponses) socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.setTimeout(options.connectTimeoutMs);
    socket.on('connect', () => {
      this.isConnected = true;
      socket.setTimeout(this.idleTimeoutMs);
      this.flush();
    });
    socket.on('timeout', () => {
      if (!this.isConnected) this.destroy(codedError(`connect timed out after ${options.connectTimeoutMs}ms`, 'ETIMEDOUT'));
      else if (this.jobs.length === 0 || this.isEnding) this.destroy(undefined); // idle, or announced closing and silent
    });
    socket.on('error', (error) => {
      this.error ??= error;
    });
    socket.on('close', () => this.onClose());
  }

  /**
   * Whether the connection takes one more request. Requests keep their order on a connection (as in
   * undici's client queue): one after a non-idempotent request waits for it, which waits for the
   * requests before it to be answered.
   */
  hasRoom(pipelining: number): boolean {
    return !this.isEnding && this.jobs.length < pipelining;
  }

  send(job: H1Job): void {
    this.jobs.push(job);
    job.exchange.onConnect(this.abortOne);
    this.stage();
  }

  /** Moves the requests that may go out now, in order, to the next write. */
  private stage(): void {
    const staged = this.staged;
    while (this.staged < this.jobs.length && !this.isBlocked) {
      const job = this.jobs[this.staged]!;
      if (!job.request.isIdempotent) {
        if (this.staged > 0) break; // alone on the connection
        this.isBlocked = true;
      }
      const { parts } = job.request;
      for (let i = 0; i < parts.length; i++) this.pending.push(parts[i]!);
      this.pendingBytes += job.request.byteLength;
      this.staged++;
    }
    if (this.staged > staged && this.isConnected && !this.isWriteScheduled) {
      this.isWriteScheduled = true;
      process.nextTick(this.writePending);
    }
  }

  /** Closes the connection; what is unanswered is reported to the owner once it has closed. */
  destroy(error: Error | undefined): void {
    if (error) this.error ??= error;
    this.isEnding = true;
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    if (this.socket.destroyed) return;
    const problem = this.framer.push(chunk);
    if (problem !== undefined) this.destroy(codedError(`invalid response from the target: ${problem}`, 'HPE_INVALID_RESPONSE'));
  }

  /** Writes what was handed over since the last write, as one buffer. */
  private flush(): void {
    this.isWriteScheduled = false;
    // nothing more after an announced close: what is staged goes to another connection
    if (this.pendingBytes === 0 || this.isEnding || this.socket.destroyed) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.socket.write(data);
    for (let i = this.written; i < this.staged; i++) this.jobs[i]!.exchange.onRequestSent();
    this.written = this.staged;
  }

  isHeadRequest(): boolean {
    return this.jobs[0]?.request.method === 'HEAD';
  }

  onHead(statusCode: number, statusText: string, rawHeaders: Buffer[]): void {
    const job = this.written > 0 ? this.jobs[0] : undefined;
    if (job === undefined) this.destroy(codedError('a response came without a request', 'HPE_UNEXPECTED_RESPONSE'));
    else job.exchange.onHeaders(statusCode, rawHeaders, () => {}, statusText);
  }

  onBody(chunk: Buffer): void {
    if (this.written > 0) this.jobs[0]!.exchange.onData(chunk);
  }

  onEnd(isLast: boolean, trailers?: string[]): void {
    if (this.written === 0) return;
    const job = this.jobs.shift()!;
    this.written--;
    this.staged--;
    if (!job.request.isIdempotent) this.isBlocked = false;
    // After an announced close no request is added, but responses the server still sends are read:
    // some servers (Node's) answer the pipelined requests they had already read.
    if (isLast) this.isEnding = true;
    job.exchange.onComplete(trailers);
    if (this.framer.keepAliveHintMs >= 0) this.shortenIdleTimeout(this.framer.keepAliveHintMs);
    if (!this.isEnding) {
      this.stage();
      this.owner.onRoom(this);
    } else if (this.written === 0) {
      this.socket.destroy(); // what is left was never written: sent again on another connection
    }
  }

  /**
   * Closes idle connections before the server does, as its Keep-Alive hint says (with undici's margin
   * of a second): a request written as the server closes would be lost, and only GETs are sent again.
   */
  private shortenIdleTimeout(hintMs: number): void {
    this.framer.keepAliveHintMs = -1;
    const idleMs = Math.min(this.idleTimeoutMs, Math.max(hintMs - 1000, hintMs / 2));
    if (idleMs !== this.idleTimeoutMs) {
      this.idleTimeoutMs = idleMs;
      this.socket.setTimeout(idleMs);
    }
  }

  private onClose(): void {
    // a body delimited by the close ends here; any other response cut short is not complete
    this.framer.finish();
    const isOpen = (job: H1Job): boolean => !job.exchange.isSettled;
    const unanswered = this.jobs.slice(0, this.written).filter(isOpen);
    const unsent = this.jobs.slice(this.written).filter(isOpen);
    this.jobs.length = 0;
    this.written = this.staged = 0;
    this.pending = [];
    this.pendingBytes = 0;
    const isAnnounced = this.isEnding && this.error === undefined;
    const error = isAnnounced ? undefined : (this.error ?? codedError('other side closed', 'UND_ERR_SOCKET'));
    this.owner.onEnd(this, { unanswered, unsent, error, wasConnected: this.isConnected });
  }
}
