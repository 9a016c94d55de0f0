import { connect as connectPlain, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { PluginContext } from '@reprise/core';
import { retryDelayMs } from './backoff.js';

export interface RelayTarget {
  host: string;
  port: number;
  /** TLS settings, or undefined for plain TCP. */
  tls?: { rejectUnauthorized: boolean };
  /** Records buffered for this connection (waiting or being written) before senders must wait. */
  maxBufferedBytes: number;
  connectTimeoutMs: number;
}

/** Bytes handed to the socket at once; the rest waits in the queue, where it is counted and bounded. */
const SOCKET_HIGH_WATER = 64 * 1024;

/**
 * One long-lived connection to an aggregator, fed whole records. It connects at once and again,
 * with exponential backoff, whenever the connection fails; records wait in a bounded buffer
 * meanwhile. A record is always written whole to one socket, so the receiver never sees half of
 * one glued to the next (at worst a truncated record at the end of a dead connection).
 */
export class RelayConnection {
  private readonly queue: Buffer[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  private inFlightBytes = 0;
  private socket: Socket | undefined;
  private isOpen = false;
  private isClosed = false;
  /** Set by drain(): a failed connection attempt then gives up on what is buffered. */
  private isDraining = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly target: RelayTarget,
    private readonly label: string,
    private readonly ctx: PluginContext,
  ) {
    this.connect();
  }

  get isConnected(): boolean {
    return this.isOpen;
  }

  /** Bytes accepted and not yet handed to the kernel. */
  get bufferedBytes(): number {
    return this.queuedBytes + this.inFlightBytes;
  }

  /** A record always fits an empty buffer, so one larger than the limit still goes through. */
  hasRoomFor(bytes: number): boolean {
    return this.bufferedBytes === 0 || this.bufferedBytes + bytes <= this.target.maxBufferedBytes;
  }

  /** Resolves when `bytes` fit, or once the connection is closed. */
  async waitForRoom(bytes: number): Promise<void> {
    while (!this.isClosed && !this.hasRoomFor(bytes)) await this.nextChange();
  }

  /** Buffers one encoded record. Returns false (nothing buffered) when closed. */
  enqueue(record: Buffer): boolean {
    if (this.isClosed) return false;
    this.queue.push(record);
    this.queuedBytes += record.length;
    this.pump();
    return true;
  }

  /**
   * Resolves when everything buffered has been written, or given up: while draining, a failed
   * connection attempt counts what is left as failed rather than waiting for the aggregator.
   */
  async drain(): Promise<void> {
    this.isDraining = true;
    if (!this.isOpen && this.retryTimer) {
      // Do not sit out the backoff: try once more now.
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.connect();
    }
    while (this.bufferedBytes > 0 && !this.isClosed) await this.nextChange();
  }

  /** Closes the connection; what is still buffered is counted as failed. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    clearTimeout(this.retryTimer);
    this.dropQueued();
    this.socket?.destroy();
    this.notify();
  }

  private connect(): void {
    this.retryTimer = undefined;
    if (this.isClosed) return;
    const { host, port, tls } = this.target;
    const socket = tls
      ? connectTls({ host, port, servername: isIP(host) ? undefined : host, rejectUnauthorized: tls.rejectUnauthorized })
      : connectPlain({ host, port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setTimeout(this.target.connectTimeoutMs, () =>
      socket.destroy(new Error(`no connection after ${this.target.connectTimeoutMs} ms`)),
    );
    let lastError: Error | undefined;
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      socket.setTimeout(0);
      socket.setKeepAlive(true, 30_000);
      this.isOpen = true;
      if (this.failures > 0) {
        this.ctx.stats.add('reconnects');
        this.ctx.logger.info(`${this.label}: connected after ${this.failures} failed attempt${this.failures === 1 ? '' : 's'}`);
      }
      this.failures = 0;
      this.pump();
    });
    // An aggregator does not answer; anything it sends is read and ignored so the socket never stalls.
    socket.on('data', () => {});
    socket.on('error', (error) => (lastError = error));
    socket.once('close', () => {
      const wasOpen = this.isOpen;
      this.isOpen = false;
      this.socket = undefined;
      if (this.isClosed) return;
      const reason = lastError?.message ?? 'closed by the aggregator';
      if (wasOpen) this.ctx.logger.warn(`${this.label}: connection lost (${reason}), reconnecting`);
      else {
        this.ctx.stats.add('connect-failed');
        // The first failure of a series is a warning; the retries that follow are debug lines.
        const log = this.failures === 0 ? this.ctx.logger.warn : this.ctx.logger.debug;
        log(`${this.label}: cannot connect (${reason}), retrying with backoff`);
      }
      this.failures++;
      if (this.isDraining && !wasOpen) this.dropQueued();
      this.retryTimer = setTimeout(() => this.connect(), retryDelayMs(this.failures));
      this.retryTimer.unref();
      this.notify();
    });
  }

  /** Hands queued records to the socket, a bounded amount at a time. */
  private pump(): void {
    const socket = this.socket;
    if (!this.isOpen || !socket) return;
    while (this.queueHead < this.queue.length && socket.writableLength < SOCKET_HIGH_WATER) {
      const record = this.queue[this.queueHead]!;
      this.queue[this.queueHead++] = undefined as unknown as Buffer;
      this.queuedBytes -= record.length;
      this.inFlightBytes += record.length;
      socket.write(record, (error) => {
        this.inFlightBytes -= record.length;
        if (error) {
          this.ctx.stats.add('failed');
          this.ctx.stats.add('lost');
        }
        this.notify();
        this.pump();
      });
    }
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    } else if (this.queueHead > 1024) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  private dropQueued(): void {
    const count = this.queue.length - this.queueHead;
    if (count > 0) {
      this.ctx.stats.add('failed', count);
      this.ctx.stats.add('unsent', count);
      this.ctx.logger.warn(`${this.label}: ${count} record${count === 1 ? '' : 's'} not sent: the aggregator is unreachable`);
    }
    this.queue.length = 0;
    this.queueHead = 0;
    this.queuedBytes = 0;
    this.notify();
  }

  private nextChange(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
