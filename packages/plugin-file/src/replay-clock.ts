/** How a recorded stream is paced. */
export interface ReplayPace {
  /** 1 reproduces the recorded gaps; 2 halves them (`|200%`); Infinity ignores them (noWait). */
  speed: number;
  /** Cap on any one gap after scaling, in ms; Infinity for none. */
  maxWaitMs: number;
  /** At most this many messages per second (`|N`); Infinity for no limit. */
  perSecond: number;
}

/**
 * Turns recorded timestamps into due times, in ms since the replay started. Due times are
 * cumulative, so a replay at 100% keeps the recorded span instead of drifting by the time spent
 * between messages. Pure: the reader owns the wall clock.
 */
export class ReplayClock {
  private previousKeyNs: number | undefined;
  private dueAtMs = 0;
  private readonly intervalMs: number;

  constructor(private readonly pace: ReplayPace) {
    this.intervalMs = pace.perSecond === Infinity ? 0 : 1000 / pace.perSecond;
  }

  /** True when no record ever waits: the reader can skip the clock entirely. */
  get isUnpaced(): boolean {
    return this.pace.speed === Infinity && this.intervalMs === 0;
  }

  /** Due time of the next record, given its key (recorded nanoseconds); call once per record, in order. */
  next(keyNs: number): number {
    const previous = this.previousKeyNs;
    this.previousKeyNs = keyNs;
    if (previous === undefined) {
      // The first record (or the first after a loop restart) is due at once.
      return this.dueAtMs;
    }
    let gapMs = 0;
    if (this.pace.speed !== Infinity && keyNs > previous) {
      gapMs = (keyNs - previous) / 1e6 / this.pace.speed;
      if (gapMs > this.pace.maxWaitMs) gapMs = this.pace.maxWaitMs;
    }
    // A rate limit spaces messages at least intervalMs apart; later gaps count from there.
    this.dueAtMs += Math.max(gapMs, this.intervalMs);
    return this.dueAtMs;
  }

  /** The next record is due right after the previous one (used when a loop starts again). */
  restart(): void {
    this.previousKeyNs = undefined;
    this.dueAtMs += this.intervalMs;
  }
}
