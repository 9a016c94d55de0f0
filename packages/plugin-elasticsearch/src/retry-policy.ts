/**
 * When a request to Elasticsearch is worth retrying, and how long to wait: exponential back-off
 * with full jitter, capped. Pure, so the schedule is tested without a network.
 */
export interface RetrySettings {
  /** Attempts after the first. */
  retries: number;
  /** Wait before the first retry; doubles with each attempt. */
  backoffMs: number;
  /** No wait is longer than this. */
  maxBackoffMs: number;
}

/** What went wrong with a whole request, as far as retrying is concerned. */
export interface RequestFailure {
  /** HTTP status when Elasticsearch answered, undefined when it did not (refused, reset, timed out). */
  statusCode?: number;
  /** The client's error class name: ConnectionError, TimeoutError, ResponseError… */
  name: string;
}

const RETRIED_WITHOUT_ANSWER = new Set(['ConnectionError', 'TimeoutError', 'NoLivingConnectionsError']);

/** 429 (too many requests), any 5xx, and no answer at all are retried; other answers are final. */
export function isRetryable(failure: RequestFailure): boolean {
  if (failure.statusCode !== undefined) return failure.statusCode === 429 || failure.statusCode >= 500;
  return RETRIED_WITHOUT_ANSWER.has(failure.name);
}

/** Milliseconds to wait before retry number `attempt` (1-based); `random` in [0, 1). */
export function backoffDelayMs(attempt: number, settings: RetrySettings, random: () => number = Math.random): number {
  const ceiling = Math.min(settings.maxBackoffMs, settings.backoffMs * 2 ** (attempt - 1));
  // half fixed, half jitter: waits grow for sure, and many clients do not retry in step
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
