/**
 * Sends replayed requests to a plain http:// target over HTTP/1.1 connections of its own, instead
 * of undici's general client: the recorded head bytes go out nearly as they are (h1-request-head.ts)
 * and responses are only framed (h1-response-framer.ts), which is what replay needs.
 *
 * Up to `connections` connections, each filled with up to `pipelining` requests before the next is
 * used; a connection writes its requests in the order they came, and a non-idempotent one goes out
 * alone: after the requests before it are answered, and before those after it are written (undici's
 * `idempotent: false`, with its client queue's order). When a connection drops, the
 * idempotent requests it had not answered are sent once more on another (counted `retried`), the
 * others fail with the connection's error; when the server announced the close (Connection: close),
 * the requests after the last response were never read and are all sent again.
 */
import type { PluginStats } from '@reprise/core';
import { H1Connection, type H1ConnectionEnd, type H1ConnectionOwner, type H1Job } from './h1-connection.js';
import { FifoQueue } from './fifo-queue.js';
import type { H1Request } from './h1-request-head.js';
import type { ReplayExchange } from './replay-exchange.js';

export interface H1SenderOptions {
  /** Host name or address and port of the target. */
  host: string;
  port: number;
  connections: number;
  pipelining: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Whether response heads and bodies are handed to the exchanges (tracked responses). */
  keepsResponses: boolean;
  stats: PluginStats;
}

export class H1Sender implements H1ConnectionOwner {
  private readonly connections: H1Connection[] = [];
  /** Requests not on a connection yet; those sent again (`again`) go first. */
  private readonly queue = new FifoQueue<H1Job>();
  private again: H1Job[] = [];
  private isPumping = false;
  private isClosed = false;

  constructor(private readonly options: H1SenderOptions) {}

  send(exchange: ReplayExchange, request: H1Request): void {
    this.queue.push({ exchange, request, retries: 0 });
    this.pump();
  }

  /** Destroys every connection without reporting anything: the caller has counted what was in flight. */
  destroy(): void {
    this.isClosed = true;
    this.queue.clear();
    this.again = [];
    for (const connection of this.connections) connection.destroy(undefined);
    this.connections.length = 0;
  }

  onRoom(): void {
    if (this.queue.length > 0 || this.again.length > 0) this.pump();
  }

  onEnd(connection: H1Connection, end: H1ConnectionEnd): void {
    const at = this.connections.indexOf(connection);
    if (at >= 0) this.connections.splice(at, 1);
    if (this.isClosed) return;
    const { unanswered, unsent, error, wasConnected } = end;
    const retry: H1Job[] = [];
    for (const job of unanswered) {
      if (job.exchange.isSettled) continue;
      if (!wasConnected) {
        job.exchange.onError(error ?? new Error('connection failed'));
      } else if (error === undefined) {
        retry.push(job); // the server announced the close and did not read these
      } else if (job.request.isIdempotent && job.retries === 0) {
        job.retries++;
        this.options.stats.add('retried');
        retry.push(job);
      } else {
        job.exchange.onError(error);
      }
    }
    for (const job of unsent) {
      // never written: nothing reached the server, so it goes to another connection as it is (unless none can be made)
      if (job.exchange.isSettled) continue;
      if (wasConnected) retry.push(job);
      else job.exchange.onError(error ?? new Error('connection failed'));
    }
    if (retry.length > 0) this.again = retry.concat(this.again);
    this.pump();
  }

  /** Hands queued requests to connections while one has room (a loop: answers may arrive meanwhile). */
  private pump(): void {
    if (this.isPumping || this.isClosed) return;
    this.isPumping = true;
    for (;;) {
      const fromAgain = this.again.length > 0;
      const job = fromAgain ? this.again[0] : this.queue.peek();
      if (job === undefined) break;
      if (!job.exchange.isSettled) {
        const connection = this.connectionFor();
        if (connection === undefined) break;
        connection.send(job);
      }
      if (fromAgain) this.again.shift();
      else this.queue.shift();
    }
    this.isPumping = false;
  }

  /** The first connection with room (filling one before the next, as undici's pool does), or a new one. */
  private connectionFor(): H1Connection | undefined {
    const { pipelining } = this.options;
    for (const connection of this.connections) if (connection.hasRoom(pipelining)) return connection;
    if (this.connections.length >= this.options.connections) return undefined;
    const { host, port, connectTimeoutMs, idleTimeoutMs, keepsResponses } = this.options;
    const connection = new H1Connection(this, { host, port, connectTimeoutMs, idleTimeoutMs, keepsResponses });
    this.connections.push(connection);
    return connection;
  }
}
