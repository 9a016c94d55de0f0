/**
 * At most `window` publishes, and `maxBytes` of them, awaiting their acks; a message that finds the
 * window full, or NATS not connected, is handed to `overflow` at once. The caller never waits: a
 * capture agent must not be held up by a slow or absent NATS, and memory stays bounded by the window.
 */
export interface PublishWindowHooks<T> {
  publish(item: T): Promise<{ duplicate: boolean }>;
  /** The item could not be published (window full, not connected, or its publish failed). */
  overflow(item: T, reason: 'full' | 'disconnected' | 'failed'): void;
  onAck(duplicate: boolean): void;
  onFailure(error: unknown): void;
}

export class PublishWindow<T> {
  private inFlight = 0;
  private inFlightBytes = 0;
  private idleWaiters: Array<() => void> = [];
  private roomWaiters: Array<() => void> = [];
  isConnected = false;

  constructor(
    private readonly window: number,
    private readonly maxBytes: number,
    private readonly sizeOf: (item: T) => number,
    private readonly hooks: PublishWindowHooks<T>,
  ) {}

  get pending(): number {
    return this.inFlight;
  }

  offer(item: T): void {
    if (!this.isConnected) {
      this.hooks.overflow(item, 'disconnected');
      return;
    }
    const size = this.sizeOf(item);
    if (!this.hasRoomFor(size)) {
      this.hooks.overflow(item, 'full');
      return;
    }
    this.inFlight++;
    this.inFlightBytes += size;
    let published: Promise<{ duplicate: boolean }>;
    try {
      published = this.hooks.publish(item);
    } catch (error) {
      published = Promise.reject(error);
    }
    published
      .then(
        (ack) => this.hooks.onAck(ack.duplicate),
        (error) => {
          this.hooks.onFailure(error);
          this.hooks.overflow(item, 'failed');
        },
      )
      .finally(() => {
        this.inFlight--;
        this.inFlightBytes -= size;
        this.roomWaiters.shift()?.();
        if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      });
  }

  /** Resolves when a publish of `size` bytes can start without overflowing (for recorded inputs, which may wait). */
  async room(size: number): Promise<void> {
    while (!this.hasRoomFor(size)) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  /** One item larger than maxBytes still goes when nothing else is in flight. */
  private hasRoomFor(size: number): boolean {
    return this.inFlight === 0 || (this.inFlight < this.window && this.inFlightBytes + size <= this.maxBytes);
  }

  /** Resolves once every publish offered so far is acked or failed. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
