/**
 * The bus between the inputs and the middleware chain: a FIFO of items with one consumer.
 * Producers push without waiting; the consumer takes items one at a time and waits when there are none.
 * Anyone may wait for the bus to be idle (empty, and the consumer done with its item) or short
 * (at most `lowWater` items), which is how recorded inputs are paced by a slow middleware chain.
 */
export interface BusLimits {
  /** Items the bus may hold before a live producer should drop instead of pushing. */
  capacity: number;
  /** Producers that wait for the bus to shrink go on once at most this many items are left. */
  lowWater: number;
}

export class Bus<T> {
  private readonly items: T[] = [];
  private readonly limits: BusLimits;
  private consumerWaiter: (() => void) | undefined;
  /** Woken whenever the bus may have become short or idle; each rechecks its own condition. */
  private changeWaiters: Array<() => void> = [];
  private isConsumerBusy = false;
  private isClosed = false;

  constructor(limits: BusLimits) {
    this.limits = limits;
  }

  get size(): number {
    return this.items.length;
  }

  get isFull(): boolean {
    return this.items.length >= this.limits.capacity;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Adds an item for the consumer; after close() it is dropped. */
  push(item: T): void {
    if (this.isClosed) return;
    this.items.push(item);
    const wake = this.consumerWaiter;
    if (wake) {
      this.consumerWaiter = undefined;
      wake();
    }
  }

  /**
   * The consumer's next item: calling it again says the previous one is done. Waits while the bus is
   * empty; undefined once the bus is closed and empty. Only one consumer may call it.
   */
  async take(): Promise<T | undefined> {
    if (this.items.length <= this.limits.lowWater) this.notifyChange();
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) {
        this.isConsumerBusy = true;
        return item;
      }
      this.isConsumerBusy = false;
      this.notifyChange();
      if (this.isClosed) return undefined;
      await new Promise<void>((resolve) => {
        this.consumerWaiter = resolve;
      });
    }
  }

  /** Resolves once the bus is empty and the consumer has finished its last item. */
  async idle(): Promise<void> {
    while (this.items.length > 0 || this.isConsumerBusy) await this.changed();
  }

  /** Resolves once at most `lowWater` items are queued, or as soon as `signal` is aborted. */
  async short(signal?: AbortSignal): Promise<void> {
    const giveUp = () => this.notifyChange();
    signal?.addEventListener('abort', giveUp, { once: true });
    try {
      while (this.items.length > this.limits.lowWater && !signal?.aborted) await this.changed();
    } finally {
      signal?.removeEventListener('abort', giveUp);
    }
  }

  /** Drops what is queued and lets the consumer end; later pushes are ignored. */
  close(): void {
    this.isClosed = true;
    this.items.length = 0;
    const wake = this.consumerWaiter;
    this.consumerWaiter = undefined;
    wake?.();
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.changeWaiters.push(resolve));
  }

  private notifyChange(): void {
    if (this.changeWaiters.length === 0) return;
    const waiters = this.changeWaiters;
    this.changeWaiters = [];
    for (const wake of waiters) wake();
  }
}
