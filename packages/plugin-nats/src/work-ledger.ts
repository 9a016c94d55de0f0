/**
 * The requests a worker has handed to the pipeline and not yet settled, by message id. The results
 * output settles one when its replayed response is published (ack: at-least-once); a request with no
 * response within the time limit (the target failed or timed out) is nak'ed for redelivery, and
 * terminated once it has been delivered `maxDeliver` times. The input and the results output of one
 * worker meet here through `ledgerFor(service, worker)`.
 */
import type { JsMsg } from '@nats-io/jetstream';
import type { PluginStats } from '@reprise/core';

interface Entry {
  messages: JsMsg[];
  deadlineMs: number;
  settled: () => void;
}

export class WorkLedger {
  /** In tracking order, which is deadline order (one timeout for all): the sweep stops at the first one not due. */
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;
  replayed = 0;
  noResponse = 0;

  constructor(
    private readonly responseTimeoutMs: number,
    private readonly maxDeliver: number,
    private readonly stats: PluginStats,
  ) {
    // one timer for the ledger rather than one per request
    this.sweeper = setInterval(() => this.sweep(), Math.min(1000, Math.max(50, responseTimeoutMs / 4)));
    this.sweeper.unref();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, entry] of this.entries) {
      if (entry.deadlineMs > now) break;
      this.expire(id);
    }
  }

  get inFlight(): number {
    return this.entries.size;
  }

  /** Tracks `m` under `id`; resolves when it is acked, nak'ed or terminated. */
  track(id: string, m: JsMsg): Promise<void> {
    const existing = this.entries.get(id);
    if (existing) {
      // A redelivery while the first delivery is still in flight here: settled together.
      existing.messages.push(m);
      return new Promise((resolve) => {
        const previous = existing.settled;
        existing.settled = () => {
          previous();
          resolve();
        };
      });
    }
    return new Promise((resolve) => {
      this.entries.set(id, { messages: [m], deadlineMs: Date.now() + this.responseTimeoutMs, settled: resolve });
    });
  }

  /** The replayed response of `id` is safely published: ack its request (untracked with --at-most-once: only counted). */
  settle(id: string): void {
    this.replayed++;
    const entry = this.take(id);
    if (!entry) return;
    for (const m of entry.messages) m.ack();
    entry.settled();
  }

  /** Everything still in flight goes back to the stream for another worker (shutdown without a drain). */
  releaseAll(): void {
    clearInterval(this.sweeper);
    for (const id of [...this.entries.keys()]) {
      const entry = this.take(id)!;
      for (const m of entry.messages) m.nak();
      entry.settled();
    }
  }

  private expire(id: string): void {
    const entry = this.take(id);
    if (!entry) return;
    this.noResponse++;
    this.stats.add('no-response');
    for (const m of entry.messages) {
      if (m.info.deliveryCount >= this.maxDeliver) {
        m.term('no response from the target');
        this.stats.add('given-up');
      } else {
        m.nak();
      }
    }
    entry.settled();
  }

  private take(id: string): Entry | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    return entry;
  }
}

const ledgers = new Map<string, WorkLedger>();

export function registerLedger(service: string, worker: string, ledger: WorkLedger): () => void {
  const key = `${service}/${worker}`;
  ledgers.set(key, ledger);
  return () => {
    if (ledgers.get(key) === ledger) ledgers.delete(key);
  };
}

export function ledgerFor(service: string, worker: string): WorkLedger | undefined {
  return ledgers.get(`${service}/${worker}`);
}
