/**
 * A bounded queue read as an async iterator: the bulk helper pulls documents from it, the output pushes
 * documents into it. When it holds `capacity` items `push` says so and `whenSpace()` tells the writer
 * when to go on: that is the output's backpressure.
 */
export class DocumentQueue<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
  private head = 0;
  private isEnded = false;
  private waitingReader: ((result: IteratorResult<T>) => void) | undefined;
  private spaceWaiters: Array<() => void> = [];
  /** Items handed to the reader so far (to count what an aborted reader took but never finished). */
  takenCount = 0;

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  get isFull(): boolean {
    return this.length >= this.capacity;
  }

  /** Adds an item even when full (the caller decides to wait or drop); false once ended. */
  push(item: T): boolean {
    if (this.isEnded) return false;
    const reader = this.waitingReader;
    if (reader !== undefined) {
      this.waitingReader = undefined;
      this.takenCount++;
      reader({ value: item, done: false });
      return true;
    }
    this.items.push(item);
    return true;
  }

  /** Resolves once the queue is below capacity (or ended). */
  whenSpace(): Promise<void> {
    if (!this.isFull || this.isEnded) return Promise.resolve();
    return new Promise((resolve) => this.spaceWaiters.push(resolve));
  }

  /** Lets writers waiting for space go on now (they will drop instead of wait). */
  wakeWriters(): void {
    this.releaseSpaceWaiters();
  }

  /** No more items: the reader gets what is left, then the end. */
  end(): void {
    this.isEnded = true;
    this.releaseSpaceWaiters();
    const reader = this.waitingReader;
    if (reader !== undefined && this.length === 0) {
      this.waitingReader = undefined;
      reader({ value: undefined, done: true });
    }
  }

  /** Takes every queued item out (when the reader is gone and they must be counted). */
  takeAll(): T[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    this.releaseSpaceWaiters();
    return rest;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.items.length) {
      const value = this.items[this.head]!;
      this.items[this.head] = undefined as T;
      this.head++;
      this.takenCount++;
      if (this.head === this.items.length) {
        this.items = [];
        this.head = 0;
      } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
        // drop the consumed front now and then, so the array does not grow without bound
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      if (this.spaceWaiters.length > 0 && !this.isFull) this.releaseSpaceWaiters();
      return Promise.resolve({ value, done: false });
    }
    if (this.isEnded) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waitingReader = resolve;
    });
  }

  /** The reader stopped early (the bulk helper aborted): behave as ended. */
  return(): Promise<IteratorResult<T>> {
    this.isEnded = true;
    this.releaseSpaceWaiters();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private releaseSpaceWaiters(): void {
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
