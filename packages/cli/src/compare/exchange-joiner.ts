/**
 * Joins a request, its recorded response and its replayed responses (or failures) by id into one
 * Exchange, in whatever order they arrive. An exchange is handed on as soon as it is complete;
 * at most `maxPending` wait (the oldest are handed on incomplete), so memory stays bounded on
 * endless live traffic. `finish()` hands on everything still waiting.
 */
import type { Exchange, Role } from '@reprise/compare';
import type { Message } from '@reprise/core';

interface Pending {
  request?: Message;
  original?: Message;
  /** Replies still expected (responses or failures); unknown until the request was sent. */
  awaiting?: number;
  baseline: Message[];
  candidate: Message[];
  errors: Array<{ target: Role; reason: string }>;
}

export interface JoinerCounts {
  exchanges: number;
  /** Handed on before every reply arrived (pending limit or end of run). */
  incomplete: number;
  /** No recorded response to compare with, in recorded-baseline mode: not analysed. */
  withoutOriginal: number;
  /** Responses whose request was never sent (filtered out before the targets): ignored. */
  orphans: number;
}

export class ExchangeJoiner {
  private readonly pending = new Map<string, Pending>();
  readonly counts: JoinerCounts = { exchanges: 0, incomplete: 0, withoutOriginal: 0, orphans: 0 };

  constructor(
    private readonly onExchange: (exchange: Exchange) => void,
    /** True when the recorded response is the baseline (no live baseline target). */
    private readonly isOriginalBaseline: boolean,
    private readonly maxPending = 50_000,
  ) {}

  /** The request was sent to `replies` targets (counting repeats). */
  sent(request: Message, replies: number): void {
    const entry = this.entry(request.id);
    entry.request = request;
    entry.awaiting = replies - entry.baseline.length - entry.candidate.length - entry.errors.length;
    this.settle(request.id, entry);
  }

  original(response: Message): void {
    const entry = this.entry(response.id);
    entry.original = response;
    this.settle(response.id, entry);
  }

  replied(role: Role, response: Message): void {
    const entry = this.entry(response.id);
    entry[role].push(response);
    if (entry.awaiting !== undefined) entry.awaiting--;
    this.settle(response.id, entry);
  }

  failed(role: Role, request: Message, reason: string): void {
    const entry = this.entry(request.id);
    entry.errors.push({ target: role, reason });
    if (entry.awaiting !== undefined) entry.awaiting--;
    this.settle(request.id, entry);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Hands on every exchange still waiting (the run is over). */
  finish(): void {
    for (const [id, entry] of this.pending) this.handOn(id, entry);
  }

  private entry(id: string): Pending {
    let entry = this.pending.get(id);
    if (!entry) {
      entry = { baseline: [], candidate: [], errors: [] };
      this.pending.set(id, entry);
      if (this.pending.size > this.maxPending) {
        const [oldestId, oldest] = this.pending.entries().next().value!;
        this.handOn(oldestId, oldest);
      }
    }
    return entry;
  }

  private settle(id: string, entry: Pending): void {
    const isComplete = entry.awaiting === 0 && (!this.isOriginalBaseline || entry.original !== undefined);
    if (isComplete) this.handOn(id, entry);
  }

  private handOn(id: string, entry: Pending): void {
    this.pending.delete(id);
    if (!entry.request) {
      this.counts.orphans++;
      return;
    }
    if (this.isOriginalBaseline && !entry.original) {
      this.counts.withoutOriginal++;
      return;
    }
    if (entry.awaiting !== 0) {
      this.counts.incomplete++;
      // A side with nothing at all is reported as failed, so the exchange still counts as an error.
      for (const role of ['baseline', 'candidate'] as const) {
        const hasNothing = entry[role].length === 0 && !entry.errors.some((e) => e.target === role);
        if (hasNothing && !(role === 'baseline' && this.isOriginalBaseline)) entry.errors.push({ target: role, reason: 'no-response' });
      }
    }
    this.counts.exchanges++;
    const exchange: Exchange = {
      id,
      request: entry.request,
      baseline: this.isOriginalBaseline ? [entry.original!] : entry.baseline,
      candidate: entry.candidate,
    };
    if (entry.original) exchange.original = entry.original;
    if (entry.errors.length > 0) exchange.errors = entry.errors;
    this.onExchange(exchange);
  }
}
