/**
 * The replay engine: sends recorded requests to one target (HTTP/1.1 to a plain http:// target
 * through our own sender, h1-sender.ts; https, redirects, per-session connections and HTTP/2
 * (replay-protocol.ts) through undici pools created on first use), keeps a bounded
 * window of requests in flight (write() waits for room), expires requests past their deadline with a
 * single timer, counts every failure by reason, and hands tracked responses back in batches.
 *
 * Of the requests in flight, only about two rounds of the pool (connections × pipelining × 2) are
 * handed to undici; the rest wait here as the recorded messages they are, and are parsed and
 * dispatched as answers come back. A request built early would sit in undici's queue long enough to
 * outlive V8's young generation: measured, a quarter of what the replay allocated was then promoted
 * and collected by the slow old-generation GC.
 */
import { STATUS_CODES } from 'node:http';
import type { Agent, Dispatcher, Pool } from 'undici';
import { sessionKeyOf, type Logger, type Message, type PluginStats } from '@reprise/core';
import type { FailureReason } from './failure-reason.js';
import { H1RequestWriter } from './h1-request-head.js';
import { H1Sender } from './h1-sender.js';
import { ReplayExchange, type ExchangeOwner } from './replay-exchange.js';
import { IDEMPOTENT_METHODS, toReplayRequest } from './replay-request.js';
import { toH2Headers } from './h2-headers.js';
import {
  H2Dispatcher,
  h2PoolOptions,
  isGrpcRequest,
  mayBeGrpc,
  wireFor,
  type H2PoolSettings,
  type ReplayProtocol,
  type Wire,
} from './replay-protocol.js';
import { FifoQueue } from './fifo-queue.js';
import { responseBytes } from './response-bytes.js';
import type { ReplayStats } from './replay-stats.js';
import { loadUndici } from './undici-loader.js';
import { coalescingConnector } from './write-coalescing.js';

export interface HttpReplayerOptions {
  /** Origin of the target, e.g. `http://127.0.0.1:8082`. */
  origin: string;
  /** Host header to send instead of the recorded one; undefined keeps the recorded Host. */
  hostHeader: string | undefined;
  connections: number;
  pipelining: number;
  /** Requests in flight or queued in the pool before write() waits. */
  maxInFlight: number;
  timeoutMs: number;
  redirects: number;
  skipVerify: boolean;
  /** HTTP version of the replayed requests (replay-protocol.ts); `auto`: as captured. */
  protocol: ReplayProtocol;
  /** Idle connections close after this long (GoReplay's worker timeout); undefined: undici's default. */
  idleTimeoutMs?: number;
  /** Body bytes of a tracked response kept (the rest is discarded); undefined: all. */
  responseBufferBytes?: number;
  /** With sessions: each TCP session gets its own connection, at most this many open (least recently used closes). */
  sessionConnections?: number;
  /** Samples for --output-http-stats. */
  replayStats?: ReplayStats;
  /** Receives replayed responses in batches; undefined when responses are not tracked. */
  onResponses: ((batch: Message[]) => void) | undefined;
  /** Told of each request that got no response (timeout, reset, refused, …), so a caller joining responses by id is not left waiting. */
  onFailure?: (request: Message, reason: FailureReason) => void;
  stats: PluginStats;
  /** Told once per failure reason, with the first error's text, so a dead target is visible without flooding. */
  logger?: Logger;
}

const EMIT_BATCH = 256;
/** undici's keep-alive default, kept for the HTTP/1.1 sender when --output-http-worker-timeout is not given. */
const DEFAULT_IDLE_TIMEOUT_MS = 4000;
/** Rounds of the pool's connections × pipelining dispatched ahead, so a freed connection has the next requests at hand. */
const DISPATCH_ROUNDS = 2;

/**
 * Plain http:// target, no redirects, no per-session connections, HTTP/1.1 not ruled out by
 * --output-http-protocol → our own HTTP/1.1 sender (h1-sender.ts) for the requests that go over
 * HTTP/1.1; everything else (https, redirects, sessions, HTTP/2) goes through undici.
 */
function usesH1Sender(options: HttpReplayerOptions): boolean {
  return (
    options.origin.startsWith('http:') &&
    options.redirects === 0 &&
    options.sessionConnections === undefined &&
    (options.protocol === 'auto' || options.protocol === 'http1')
  );
}

/** The HTTP/1.1 sender for the target, with the writer of its request heads. */
function createH1Sender(options: HttpReplayerOptions): { sender: H1Sender; writer: H1RequestWriter } {
  const url = new URL(options.origin);
  const sender = new H1Sender({
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 80 : Number(url.port),
    connections: options.connections,
    pipelining: options.pipelining,
    connectTimeoutMs: options.timeoutMs,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    keepsResponses: options.onResponses !== undefined,
    stats: options.stats,
  });
  return { sender, writer: new H1RequestWriter(options.hostHeader, url.host) };
}

interface SessionDispatcher {
  agent: Agent;
  dispatcher: Dispatcher;
}

export class HttpReplayer implements ExchangeOwner {
  readonly isTracking: boolean;
  readonly responseBufferBytes: number;
  /** The HTTP/1.1 sender, when it serves the target (usesH1Sender). */
  private readonly h1: { sender: H1Sender; writer: H1RequestWriter } | undefined;
  /** undici's HTTP/1.1 pool (an Agent with redirects) and its HTTP/2 one, each created on first use. */
  private undiciH1: { pool: Pool | Agent; dispatcher: Dispatcher } | undefined;
  private h2: H2Dispatcher | undefined;
  private poolOptions: Pool.Options | undefined;
  private readonly protocol: ReplayProtocol;
  private readonly isTlsTarget: boolean;
  /** Per-session connections in least-recently-used order (the first is the oldest). */
  private readonly sessions = new Map<string, SessionDispatcher>();
  private inFlight = 0;
  /** Of those in flight, handed to the sender or undici; the others wait in `waiting`. */
  private dispatched = 0;
  private readonly dispatchWindow: number;
  private readonly waiting = new FifoQueue<ReplayExchange>();
  private isRefilling = false;
  private head: ReplayExchange | null = null;
  private tail: ReplayExchange | null = null;
  private roomWaiters: Array<() => void> = [];
  private idleWaiters: Array<() => void> = [];
  private readonly sweepTimer: NodeJS.Timeout;
  private isTimerRef = false;
  private responses: Message[] = [];
  private isEmitScheduled = false;
  private isClosed = false;
  private readonly reasonsLogged = new Set<FailureReason>();
  // Epoch nanoseconds at a known hrtime, so a response's start becomes a wall-clock timestamp.
  private readonly epochBaseNs = BigInt(Date.now()) * 1_000_000n;
  private readonly hrBaseNs = process.hrtime.bigint();

  constructor(private readonly options: HttpReplayerOptions) {
    this.isTracking = options.onResponses !== undefined;
    this.responseBufferBytes = options.responseBufferBytes ?? Infinity;
    const { timeoutMs } = options;
    this.protocol = options.protocol;
    this.isTlsTarget = options.origin.startsWith('https:');
    if (usesH1Sender(options)) this.h1 = createH1Sender(options);
    // Sessions keep their own connections (one request each at a time): they are dispatched at once.
    this.dispatchWindow = options.sessionConnections === undefined ? options.connections * options.pipelining * DISPATCH_ROUNDS : Infinity;
    this.sweepTimer = setInterval(() => this.expire(), Math.min(1000, Math.max(10, timeoutMs / 4)));
    this.sweepTimer.unref();
  }

  /** Sends every request of the batch; resolves once the window has room again. */
  write(batch: readonly Message[]): void | Promise<void> {
    let skipped = 0;
    for (let i = 0; i < batch.length; i++) {
      const message = batch[i]!;
      if (message.kind !== 'request') skipped++;
      else this.send(message);
    }
    if (skipped > 0) this.options.stats.add('skipped', skipped);
    if (this.inFlight <= this.options.maxInFlight) return;
    return new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  /** Resolves when every request handed to write() is answered or counted. */
  flush(): Promise<void> {
    if (this.inFlight === 0) {
      this.emitResponses();
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Aborts whatever is still in flight (each counted as `aborted`) and destroys the pool. Idempotent. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    clearInterval(this.sweepTimer);
    this.h1?.sender.destroy();
    this.waiting.clear();
    while (this.head) {
      const exchange = this.head;
      this.settleFailed(exchange, 'aborted', undefined);
      exchange.abort(new Error('output closed'));
    }
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all([this.undiciH1?.pool.destroy(), this.h2?.destroy(), ...sessions.map((s) => s.agent.destroy())]);
    this.emitResponses();
    this.wake(this.roomWaiters);
    this.wake(this.idleWaiters);
  }

  private send(message: Message): void {
    const { stats } = this.options;
    if (this.isClosed) {
      stats.add('failed');
      stats.add('aborted');
      return;
    }
    const exchange = new ReplayExchange(this, message, performance.now() + this.options.timeoutMs);
    this.track(exchange);
    this.options.replayStats?.sampleQueue(this.inFlight);
    if (this.dispatched < this.dispatchWindow) this.dispatch(exchange);
    else this.waiting.push(exchange);
  }

  private dispatch(exchange: ReplayExchange): void {
    const message = exchange.request;
    // the HTTP/1.1 sender takes what surely goes over HTTP/1.1 without parsing it; the rest is parsed first
    if (this.h1 && !this.mayGoOverH2(message)) return this.sendH1(exchange);
    const parsed = toReplayRequest(message.payload, this.options.hostHeader);
    if (typeof parsed === 'string') return this.rejectInvalid(exchange);
    // HTTP/1.1 or HTTP/2 (replay-protocol.ts); over HTTP/2 every method is multiplexed
    const isGrpc = isGrpcRequest(parsed.headers);
    const wire = wireFor(this.protocol, message, isGrpc, this.isTlsTarget);
    if (this.h1 && wire === 'http1') return this.sendH1(exchange);
    exchange.isGrpc = isGrpc;
    const isH2 = wire === 'h2';
    exchange.isH2 = isH2;
    if (isH2) this.options.stats.add('sent-h2');
    exchange.isDispatched = true;
    this.dispatched++;
    const dispatcher =
      this.options.sessionConnections !== undefined
        ? this.sessionDispatcher(message.id, wire)
        : isH2
          ? this.h2Dispatcher().get()
          : this.undiciH1Dispatcher();
    dispatcher.dispatch(
      {
        origin: this.options.origin,
        method: parsed.method,
        path: parsed.path,
        headers: isH2 ? toH2Headers(parsed.headers, parsed.hasTeTrailers) : parsed.headers,
        body: parsed.body,
        // Without this, undici waits for each response head before writing the next request.
        blocking: false,
        idempotent: isH2 || IDEMPOTENT_METHODS.has(parsed.method),
      },
      exchange,
    );
  }

  /** Whether a request may go over HTTP/2 (a cheap look at its protocol token and bytes; parsing decides). */
  private mayGoOverH2(message: Message): boolean {
    if (this.protocol === 'http1') return false;
    return message.protocol === 'h2c' || mayBeGrpc(message.payload);
  }

  private sendH1(exchange: ReplayExchange): void {
    const request = this.h1!.writer.build(exchange.request.payload);
    if (typeof request === 'string') return this.rejectInvalid(exchange);
    exchange.isDispatched = true;
    this.dispatched++;
    this.h1!.sender.send(exchange, request);
  }

  /** undici's pool options for this target (HTTP/1.1; the HTTP/2 ones are derived from them). */
  private undiciPoolOptions(): Pool.Options {
    if (this.poolOptions) return this.poolOptions;
    const { timeoutMs, idleTimeoutMs, skipVerify } = this.options;
    this.poolOptions = {
      connections: this.options.connections,
      pipelining: this.options.pipelining,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connect: coalescingConnector({ timeout: timeoutMs, rejectUnauthorized: !skipVerify }),
      // A server's keep-alive hint may shorten this, never lengthen it.
      ...(idleTimeoutMs === undefined ? {} : { keepAliveTimeout: idleTimeoutMs, keepAliveMaxTimeout: idleTimeoutMs }),
    };
    return this.poolOptions;
  }

  private undiciH1Dispatcher(): Dispatcher {
    if (this.undiciH1) return this.undiciH1.dispatcher;
    const { Agent, Pool, interceptors } = loadUndici();
    const options = this.undiciPoolOptions();
    if (this.options.redirects > 0) {
      // A redirect may leave the target's origin: an Agent routes each hop to its own pool.
      const pool = new Agent(options);
      this.undiciH1 = { pool, dispatcher: pool.compose(interceptors.redirect({ maxRedirections: this.options.redirects })) };
    } else {
      const pool = new Pool(this.options.origin, options);
      this.undiciH1 = { pool, dispatcher: pool };
    }
    return this.undiciH1.dispatcher;
  }

  private h2Settings(): H2PoolSettings {
    const { origin, timeoutMs, skipVerify, redirects } = this.options;
    return { origin, base: this.undiciPoolOptions(), timeoutMs, skipVerify, redirects };
  }

  private h2Dispatcher(): H2Dispatcher {
    this.h2 ??= new H2Dispatcher(this.h2Settings());
    return this.h2;
  }

  private rejectInvalid(exchange: ReplayExchange): void {
    this.options.stats.add('failed');
    this.options.stats.add('invalid-request');
    this.untrack(exchange);
    this.options.onFailure?.(exchange.request, 'invalid-request');
  }

  /** Dispatches waiting requests while the window has room (a loop, not recursion: a settle may happen inside dispatch). */
  private refill(): void {
    if (this.isRefilling) return;
    this.isRefilling = true;
    while (this.dispatched < this.dispatchWindow && this.waiting.length > 0) {
      const exchange = this.waiting.shift()!;
      // deadlines follow the waiting order, so one expires only after those dispatched before it; still, never send a counted one
      if (!exchange.isSettled) this.dispatch(exchange);
    }
    this.isRefilling = false;
  }

  /**
   * The one connection of a message's TCP session: requests of a session go out in order, each after
   * the previous response, as the recorded client sent them. Beyond the limit the least recently used
   * session's connection closes once its requests are answered.
   */
  private sessionDispatcher(id: string, wire: Wire): Dispatcher {
    const key = wire === 'h2' ? `h2 ${sessionKeyOf(id)}` : sessionKeyOf(id);
    const known = this.sessions.get(key);
    if (known) {
      this.sessions.delete(key);
      this.sessions.set(key, known);
      return known.dispatcher;
    }
    if (this.sessions.size >= this.options.sessionConnections!) {
      const [oldestKey, oldest] = this.sessions.entries().next().value as [string, SessionDispatcher];
      this.sessions.delete(oldestKey);
      this.options.stats.add('sessions-closed');
      oldest.agent.close().catch(() => {});
    }
    const { Agent, interceptors } = loadUndici();
    const base = wire === 'h2' ? h2PoolOptions(this.h2Settings()) : this.undiciPoolOptions();
    const agent = new Agent({ ...base, connections: 1, pipelining: 1 });
    const dispatcher =
      this.options.redirects > 0 ? agent.compose(interceptors.redirect({ maxRedirections: this.options.redirects })) : agent;
    this.sessions.set(key, { agent, dispatcher });
    return dispatcher;
  }

  private track(exchange: ReplayExchange): void {
    if (this.tail) {
      this.tail.next = exchange;
      exchange.prev = this.tail;
    } else {
      this.head = exchange;
    }
    this.tail = exchange;
    if (++this.inFlight === 1 && !this.isTimerRef) {
      // Keep the process alive while requests are out: a pending flush must not be abandoned.
      this.sweepTimer.ref();
      this.isTimerRef = true;
    }
  }

  private untrack(exchange: ReplayExchange): void {
    exchange.isSettled = true;
    if (exchange.prev) exchange.prev.next = exchange.next;
    else this.head = exchange.next;
    if (exchange.next) exchange.next.prev = exchange.prev;
    else this.tail = exchange.prev;
    exchange.prev = exchange.next = null;
    this.inFlight--;
    if (exchange.isDispatched) {
      this.dispatched--;
      if (this.waiting.length > 0) this.refill();
    }
    if (this.inFlight <= this.options.maxInFlight && this.roomWaiters.length) this.wake(this.roomWaiters);
    if (this.inFlight === 0) {
      if (this.isTimerRef) {
        this.sweepTimer.unref();
        this.isTimerRef = false;
      }
      if (this.idleWaiters.length) {
        this.emitResponses();
        this.wake(this.idleWaiters);
      }
    }
  }

  settleAnswered(exchange: ReplayExchange): void {
    const status = exchange.statusCode;
    if (status >= 500) {
      this.options.stats.add('failed');
      this.options.stats.add('status-5xx');
    }
    if (exchange.isTruncated) this.options.stats.add('truncated-response');
    // a gRPC error is an answer, not an HTTP failure: counted apart
    if (exchange.isGrpc) {
      this.options.stats.add(exchange.grpcStatus === undefined ? 'grpc-status-missing' : `grpc-status-${exchange.grpcStatus}`);
      this.options.replayStats?.sampleGrpcStatus(exchange.grpcStatus);
    }
    this.options.replayStats?.sampleLatency(performance.now() - (exchange.deadlineMs - this.options.timeoutMs));
    if (this.isTracking) this.queueResponse(exchange);
    this.untrack(exchange);
  }

  settleFailed(exchange: ReplayExchange, reason: FailureReason, error: unknown): void {
    this.options.stats.add('failed');
    this.options.stats.add(reason);
    this.untrack(exchange);
    this.options.onFailure?.(exchange.request, reason);
    if (reason !== 'aborted' && !this.reasonsLogged.has(reason) && this.options.logger) {
      this.reasonsLogged.add(reason);
      const text =
        error instanceof Error
          ? `${error.message}${(error as { code?: string }).code ? ` (${(error as { code?: string }).code})` : ''}`
          : `no response within ${this.options.timeoutMs}ms`;
      this.options.logger.warn(`${this.options.origin}: request failed (${reason}): ${text}; further ${reason} failures are only counted`);
    }
  }

  /** Counts and aborts every request past its deadline; the list is in deadline order. */
  private expire(): void {
    const now = performance.now();
    while (this.head && this.head.deadlineMs <= now) {
      const exchange = this.head;
      this.settleFailed(exchange, 'timeout', undefined);
      exchange.abort(new Error(`no response within ${this.options.timeoutMs}ms`));
    }
  }

  private queueResponse(exchange: ReplayExchange): void {
    const headAtNs = exchange.headAtNs;
    this.responses.push({
      kind: 'replayed-response',
      id: exchange.request.id,
      timestamp: this.epochBaseNs + (headAtNs - this.hrBaseNs),
      latency: exchange.sentAtNs > 0n && headAtNs > exchange.sentAtNs ? headAtNs - exchange.sentAtNs : 0n,
      payload: responseBytes(
        exchange.statusCode,
        // HTTP/2 has no reason phrase: the standard one, as capture writes it
        exchange.isH2 ? (STATUS_CODES[exchange.statusCode] ?? '') : exchange.statusText,
        exchange.rawHeaders ?? [],
        exchange.chunks ?? [],
        exchange.trailers,
      ),
      meta: { target: this.options.origin },
    });
    if (this.responses.length >= EMIT_BATCH) this.emitResponses();
    else if (!this.isEmitScheduled) {
      this.isEmitScheduled = true;
      setImmediate(() => {
        this.isEmitScheduled = false;
        this.emitResponses();
      });
    }
  }

  private emitResponses(): void {
    if (this.responses.length === 0 || !this.options.onResponses) return;
    const batch = this.responses;
    this.responses = [];
    this.options.onResponses(batch);
  }

  private wake(waiters: Array<() => void>): void {
    const list = waiters.splice(0);
    for (const resolve of list) resolve();
  }
}
