import type { Message } from '@reprise/core';

/** Which responses a request waits for before its document is written. */
export type JoinResponses = 'auto' | 'original' | 'replayed' | 'both';

/** A request with the responses that arrived for it within the window (any part may be missing). */
export interface Exchange {
  id: string;
  request?: Message;
  original?: Message;
  replayed?: Message;
}

export interface JoinOptions {
  /** How long a request (or a response that came first) waits for the rest of its exchange. */
  windowMs: number;
  /** At most this many exchanges wait; beyond it the oldest is released early. */
  maxPending: number;
  /**
   * `auto` learns from the stream: at first a request waits for both kinds; a kind that has never been
   * seen when a request's window ends (or when it is evicted by maxPending) is no longer waited for,
   * until one arrives. The others name the
   * kinds to wait for.
   */
  responses: JoinResponses;
}

interface Pending extends Exchange {
  deadlineMs: number;
}

/**
 * Joins requests with their original and replayed responses by id, within a bounded window.
 * Pure: time is passed in. Completed exchanges are appended to the `out` array given to each call,
 * so a batch allocates one array, not one per message.
 */
export class ExchangeJoin {
  // Insertion order is arrival order and every entry has the same window, so the first entry
  // is always the next to expire: expiry is a walk from the front.
  private readonly pending = new Map<string, Pending>();
  private isExpectingOriginal: boolean;
  private isExpectingReplayed: boolean;
  /** Exchanges released early because `maxPending` was reached. */
  evictedCount = 0;

  private hasSeenOriginal = false;
  private hasSeenReplayed = false;

  constructor(private readonly options: JoinOptions) {
    const isAuto = options.responses === 'auto';
    this.isExpectingOriginal = isAuto || options.responses === 'original' || options.responses === 'both';
    this.isExpectingReplayed = isAuto || options.responses === 'replayed' || options.responses === 'both';
  }

  get size(): number {
    return this.pending.size;
  }

  /** Adds one message; appends the exchange to `out` if that completed it. */
  add(message: Message, nowMs: number, out: Exchange[]): void {
    if (this.options.responses === 'auto') {
      if (message.kind === 'response') this.hasSeenOriginal = this.isExpectingOriginal = true;
      else if (message.kind === 'replayed-response') this.hasSeenReplayed = this.isExpectingReplayed = true;
    }
    let entry = this.pending.get(message.id);
    if (entry === undefined) {
      entry = { id: message.id, deadlineMs: nowMs + this.options.windowMs };
      this.pending.set(message.id, entry);
      if (this.pending.size > this.options.maxPending) this.evictOldest(out);
    } else if (slotOf(entry, message.kind) !== undefined) {
      // The same part twice (a second replay target, a duplicated capture): the exchange already
      // has one, so the earlier one is released and this one starts a new exchange.
      this.pending.delete(message.id);
      out.push(entry);
      entry = { id: message.id, deadlineMs: nowMs + this.options.windowMs };
      this.pending.set(message.id, entry);
    }
    if (message.kind === 'request') entry.request = message;
    else if (message.kind === 'response') entry.original = message;
    else entry.replayed = message;
    if (this.isComplete(entry)) {
      this.pending.delete(message.id);
      out.push(entry);
    }
  }

  /** Releases every exchange whose window has passed, oldest first. */
  expire(nowMs: number, out: Exchange[]): void {
    for (const entry of this.pending.values()) {
      if (entry.deadlineMs > nowMs) break;
      this.pending.delete(entry.id);
      if (this.options.responses === 'auto' && entry.request !== undefined) this.learnAbsence(entry);
      out.push(entry);
    }
  }

  /** Releases everything (the input has ended: nothing more will come). */
  drain(out: Exchange[]): void {
    for (const entry of this.pending.values()) out.push(entry);
    this.pending.clear();
  }

  /** A whole window (or maxPending requests) passed without a kind never seen: stop waiting for it (auto only). */
  private learnAbsence(entry: Pending): void {
    if (entry.original === undefined && !this.hasSeenOriginal) this.isExpectingOriginal = false;
    if (entry.replayed === undefined && !this.hasSeenReplayed) this.isExpectingReplayed = false;
  }

  private isComplete(entry: Pending): boolean {
    if (entry.request === undefined) return false;
    const hasOriginal = entry.original !== undefined;
    const hasReplayed = entry.replayed !== undefined;
    // Before any response kind is known, a request waits for its first response (or its window).
    if (!hasOriginal && !hasReplayed) return false;
    if (this.isExpectingOriginal && !hasOriginal) return false;
    if (this.isExpectingReplayed && !hasReplayed) return false;
    return true;
  }

  private evictOldest(out: Exchange[]): void {
    const oldest = this.pending.values().next().value as Pending;
    this.pending.delete(oldest.id);
    this.evictedCount++;
    // maxPending requests in a row without a kind that was never seen: it is not coming
    if (this.options.responses === 'auto' && oldest.request !== undefined) this.learnAbsence(oldest);
    out.push(oldest);
  }
}

function slotOf(entry: Pending, kind: Message['kind']): Message | undefined {
  return kind === 'request' ? entry.request : kind === 'response' ? entry.original : entry.replayed;
}
