/**
 * One clock and one rate for every worker of a service, kept in its KV bucket under `run`: the first
 * worker writes it, the others read it. With a speed, a request is due at
 * start + (its timestamp − the first recorded timestamp) / speed, whichever worker holds it; with a
 * rate, each live worker sends rate / live-workers requests per second.
 */
import type { KV } from '@nats-io/kv';

export interface RunClock {
  startMs: number;
  /** The first recorded timestamp (ns, as a decimal string: it does not fit a double). */
  firstTimestampNs: string;
  /** Replay speed in percent of the recorded timing; absent: as fast as the target takes it. */
  speedPercent?: number;
  /** Aggregate requests per second across the workers. */
  ratePerSecond?: number;
  /** The run's mode: every worker takes its work with, or every one without, --session-affinity (absent in older clocks). */
  sessionAffinity?: boolean;
}

export const RUN_KEY = 'run';

/** When a message recorded at `timestampNs` is due, in epoch ms; undefined without a speed. */
export function dueAtMs(clock: RunClock, timestampNs: bigint): number | undefined {
  if (!clock.speedPercent) return undefined;
  const offsetNs = timestampNs - BigInt(clock.firstTimestampNs);
  const offsetMs = Number(offsetNs > 0n ? offsetNs : 0n) / 1e6;
  return clock.startMs + (offsetMs * 100) / clock.speedPercent;
}

/** Ms between two requests of one worker, for its share of the aggregate rate. */
export function shareIntervalMs(clock: RunClock, liveWorkers: number): number | undefined {
  if (!clock.ratePerSecond) return undefined;
  return (1000 * Math.max(1, liveWorkers)) / clock.ratePerSecond;
}

/**
 * The service's clock: this worker's proposal when it starts a new run (`isNewRun`: no other worker is
 * alive) or when there is none yet, else the one already there. Workers that start a run together
 * each write theirs; all then read back the last one written.
 */
export async function sharedRunClock(state: KV, proposal: RunClock, isNewRun: boolean): Promise<{ clock: RunClock; isOwn: boolean }> {
  if (isNewRun) {
    await state.put(RUN_KEY, JSON.stringify(proposal));
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  } else {
    await state.create(RUN_KEY, JSON.stringify(proposal)).catch(() => undefined);
  }
  const clock = (await readRunClock(state)) ?? proposal;
  return { clock, isOwn: JSON.stringify(clock) === JSON.stringify(proposal) };
}

/**
 * Why a worker of the other mode may not join the run: its consumers would be other durable consumers of
 * the same stream, so every message would be replayed once by each mode.
 */
export function modeRefusal(clock: RunClock, sessionAffinity: boolean, service: string): string | undefined {
  if (clock.sessionAffinity === undefined || clock.sessionAffinity === sessionAffinity) return undefined;
  const mode = (isOn: boolean) => (isOn ? 'with' : 'without');
  return (
    `the workers of service "${service}" run ${mode(clock.sessionAffinity)} --session-affinity and this one ${mode(sessionAffinity)}: ` +
    `start it ${mode(clock.sessionAffinity)} --session-affinity, or stop every worker to start a run in the other mode`
  );
}

/** Time for workers starting together to write their proposals before they read the winner. */
const SETTLE_MS = 200;

export async function readRunClock(state: KV): Promise<RunClock | undefined> {
  const entry = await state.get(RUN_KEY);
  if (entry?.operation !== 'PUT') return undefined;
  try {
    return JSON.parse(entry.string()) as RunClock;
  } catch {
    return undefined;
  }
}

/** How far behind its schedule a busy worker may fall and still catch up (a stalled process on a busy host). */
const CATCH_UP_MS = 5000;

/** Paces one worker's share of a rate: each call returns when the next request may go. */
export class SharePacer {
  private nextAtMs = 0;

  async next(intervalMs: number | undefined, signal: AbortSignal): Promise<void> {
    if (intervalMs === undefined) return;
    await sleepUntil(this.slotAt(intervalMs, Date.now()), signal);
  }

  /** When the next request may go, seen at `nowMs`; the schedule moves on by one interval. */
  slotAt(intervalMs: number, nowMs: number): number {
    if (this.nextAtMs === 0) this.nextAtMs = nowMs; // no credit at the start
    // Behind schedule by less than CATCH_UP_MS, requests go at once until the rate is made good; a worker
    // that had nothing to send calls reset() instead of banking the time for a burst.
    const atMs = Math.max(this.nextAtMs, nowMs - Math.max(intervalMs, CATCH_UP_MS));
    this.nextAtMs = atMs + intervalMs;
    return atMs;
  }

  /** Nothing was there to send: the schedule starts again from now. */
  reset(): void {
    this.nextAtMs = 0;
  }
}

export function sleepUntil(atMs: number, signal: AbortSignal): Promise<void> {
  const waitMs = atMs - Date.now();
  if (waitMs <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, waitMs);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
