/**
 * One replayed request as undici's handler: it receives the response callbacks and reports to its
 * replayer exactly once (answered, failed or timed out). undici's legacy handler methods are used on
 * purpose: undici 7 drives them natively, whereas the newer controller API is wrapped per request.
 */
import type { Message } from '@reprise/core';
import type { FailureReason } from './failure-reason.js';
import { failureReasonOf } from './failure-reason.js';
import { grpcStatusOf, trailerPairsOf, type TrailerPairs } from './response-trailers.js';

export interface ExchangeOwner {
  readonly isTracking: boolean;
  /** Body bytes of a tracked response kept; the rest is discarded (GoReplay's --output-http-response-buffer). */
  readonly responseBufferBytes: number;
  settleAnswered(exchange: ReplayExchange): void;
  settleFailed(exchange: ReplayExchange, reason: FailureReason, error: unknown): void;
}

export class ReplayExchange {
  // An intrusive list of in-flight exchanges in deadline order, so that one timer can expire them.
  prev: ReplayExchange | null = null;
  next: ReplayExchange | null = null;
  isSettled = false;
  /** Handed to undici (until then it waits in the replayer, parsed only when its turn comes). */
  isDispatched = false;
  statusCode = 0;
  statusText = '';
  rawHeaders: Buffer[] | null = null;
  chunks: Buffer[] | null = null;
  keptBytes = 0;
  isTruncated = false;
  /** process.hrtime.bigint() when the request was written and when the response head arrived (tracking only). */
  sentAtNs = 0n;
  headAtNs = 0n;
  /** Sent over HTTP/2 (a response then has no reason phrase). */
  isH2 = false;
  /** A gRPC request: its response's grpc-status is read and counted. */
  isGrpc = false;
  /** The response's trailers (tracking only; empty when it had none). */
  trailers: TrailerPairs = [];
  grpcStatus: number | undefined;
  private abortRequest: ((error?: Error) => void) | null = null;

  constructor(
    private readonly owner: ExchangeOwner,
    readonly request: Message,
    readonly deadlineMs: number,
  ) {}

  /** Stops the request on the wire; called when it has been counted as timed out. */
  abort(error: Error): void {
    const abort = this.abortRequest;
    this.abortRequest = null;
    if (abort) abort(error);
  }

  onConnect(abort: (error?: Error) => void): void {
    // Already counted (timed out while queued in the pool): do not send it at all.
    if (this.isSettled) abort(new Error('request timed out before it was sent'));
    else this.abortRequest = abort;
    if (this.owner.isTracking) this.sentAtNs = process.hrtime.bigint();
  }

  onRequestSent(): void {
    if (this.owner.isTracking) this.sentAtNs = process.hrtime.bigint();
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], _resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true; // 1xx informational: the real head follows
    this.statusCode = statusCode;
    if (this.owner.isTracking) {
      this.headAtNs = process.hrtime.bigint();
      this.statusText = statusText;
      this.rawHeaders = rawHeaders;
      this.chunks = [];
    } else if (this.isGrpc) {
      this.rawHeaders = rawHeaders; // a Trailers-Only response has its grpc-status here
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.chunks === null) return true;
    const room = this.owner.responseBufferBytes - this.keptBytes;
    if (chunk.length > room) {
      this.isTruncated = true;
      if (room > 0) this.chunks.push(chunk.subarray(0, room));
      this.keptBytes += Math.max(0, room);
    } else {
      this.chunks.push(chunk);
      this.keptBytes += chunk.length;
    }
    return true;
  }

  /** `trailers`: raw [name, value, …] buffers over HTTP/1.1, a header object over HTTP/2. */
  onComplete(trailers?: unknown): void {
    this.abortRequest = null;
    if (this.isSettled) return;
    if (this.owner.isTracking || this.isGrpc) {
      const pairs = trailerPairsOf(trailers);
      if (this.owner.isTracking) this.trailers = pairs;
      if (this.isGrpc) this.grpcStatus = grpcStatusOf(this.rawHeaders, pairs);
    }
    this.owner.settleAnswered(this);
  }

  onError(error: Error): void {
    this.abortRequest = null;
    if (!this.isSettled) this.owner.settleFailed(this, failureReasonOf(error), error);
  }
}
