import type { Message } from '@reprise/core';

/**
 * A bounded FIFO of message batches, counted in messages, with one consumer.
 * `offer` never blocks (the caller decides to drop or to wait with `waitForRoom`);
 * `take` resolves with the next batch, or undefined once closed and empty.
 */
export class BatchQueue {
  private readonly batches: Message[][] = [];
  private head = 0;
  private size = 0;
  private closed = false;
  private isConsumerBusy = false;
  private takeWaiter: ((batch: Message[] | undefined) => void) | undefined;
  private roomWaiters: Array<() => void> = [];
  private idleWaiters: Array<() => void> = [];

  constructor(readonly capacity: number) {}

  get isClosed(): boolean {
    return this.closed;
  }

  get length(): number {
    return this.size;
  }

  hasRoom(): boolean {
    return this.size < this.capacity;
  }

  /** Adds a batch regardless of capacity (callers check hasRoom first when they care). */
  offer(batch: Message[]): void {
    if (this.closed || batch.length === 0) return;
    const waiter = this.takeWaiter;
    if (waiter) {
      this.takeWaiter = undefined;
      this.isConsumerBusy = true;
      waiter(batch);
      return;
    }
    this.batches.push(batch);
    this.size += batch.length;
  }

  waitForRoom(): Promise<void> {
    if (this.hasRoom() || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Called by the consumer: the next batch; marks the consumer busy until its next take. */
  take(): Promise<Message[] | undefined> {
    this.isConsumerBusy = false;
    if (this.head < this.batches.length) {
      const batch = this.batches[this.head]!;
      this.batches[this.head++] = undefined as unknown as Message[];
      if (this.head > 1024 && this.head * 2 > this.batches.length) {
        this.batches.splice(0, this.head);
        this.head = 0;
      }
      this.size -= batch.length;
      this.isConsumerBusy = true;
      this.wakeRoomWaiters();
      return Promise.resolve(batch);
    }
    this.wakeIdleWaiters();
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.takeWaiter = resolve;
    });
  }

  /** Resolves when the queue is empty and the consumer has finished the last batch it took. */
  idle(): Promise<void> {
    if (this.size === 0 && !this.isConsumerBusy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    this.wakeRoomWaiters();
    if (this.takeWaiter && this.size === 0) {
      const waiter = this.takeWaiter;
      this.takeWaiter = undefined;
      waiter(undefined);
    }
  }

  /** Drops everything queued (on abort); returns how many messages were discarded. */
  clear(): number {
    const discarded = this.size;
    this.batches.length = 0;
    this.head = 0;
    this.size = 0;
    this.wakeRoomWaiters();
    return discarded;
  }

  private wakeRoomWaiters(): void {
    if (!this.hasRoom() && !this.closed) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }

  private wakeIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
