import { setTimeout as sleep } from 'node:timers/promises';
import { Transport } from '@elastic/elasticsearch';
import { backoffDelayMs, isRetryable, type RetrySettings } from './retry-policy.js';

/** The error type given to documents of a bulk request that failed as a whole (see below). */
export const REQUEST_FAILED_ERROR_TYPE = 'reprise_request_failed';

export interface TransportHooks {
  /** Aborted on close: back-off waits end at once. */
  signal: AbortSignal;
  /** Each request's final outcome: Elasticsearch reachable or not (with the reason). */
  onOutcome(isAvailable: boolean, reason?: string): void;
  /** Each retry, with the reason. */
  onRetry(reason: string): void;
}

/**
 * A Transport that retries whole requests answered 429 or 5xx, or not answered at all, with
 * exponential back-off. The client's own retries are turned off (maxRetries 0): they would retry
 * 502-504 at once, without waiting.
 *
 * A `_bulk` request that still fails is not thrown to the bulk helper, which would abort and stop
 * indexing for good: it is answered with every document failed (type `reprise_request_failed`,
 * status 503), so the helper reports each one through `onDrop` and goes on with the next documents.
 */
export function retryingTransportClass(settings: RetrySettings, hooks: TransportHooks): typeof Transport {
  return class RetryingTransport extends Transport {
    // biome-ignore lint/suspicious/noExplicitAny: one override for all of Transport.request's overloads
    override async request(params: any, options?: any): Promise<any> {
      for (let attempt = 0; ; attempt++) {
        try {
          const result = await super.request(params, options);
          hooks.onOutcome(true);
          return result;
        } catch (error) {
          const failure = describe(error);
          const canRetry = isRetryable(failure) && attempt < settings.retries && !hooks.signal.aborted;
          if (canRetry) {
            hooks.onRetry(failure.reason);
            // no answer or a 5xx: say so now, not after every retry has timed out, so that a full queue
            // drops instead of holding the pipeline back meanwhile (a 429 is an answer: wait for it)
            if (failure.statusCode === undefined || failure.statusCode >= 500) hooks.onOutcome(false, failure.reason);
            try {
              await sleep(backoffDelayMs(attempt + 1, settings), undefined, { signal: hooks.signal });
              continue;
            } catch {
              // closing: stop waiting and report the failure now
            }
          }
          const isUnavailable = failure.statusCode === undefined || failure.statusCode === 429 || failure.statusCode >= 500;
          hooks.onOutcome(!isUnavailable, failure.reason);
          if (params?.meta?.name === 'bulk' && Array.isArray(params.bulkBody)) {
            return failedBulkResult(params.bulkBody as unknown[], failure, options, attempt + 1);
          }
          throw error;
        }
      }
    }
  };
}

function describe(error: unknown): { statusCode?: number; name: string; reason: string } {
  const e = error as { name?: string; message?: string; statusCode?: number; meta?: { statusCode?: number } };
  const name = e?.name ?? 'Error';
  const statusCode = name === 'ResponseError' ? (e.statusCode ?? e.meta?.statusCode) : undefined;
  const message = (e?.message ?? String(error)).slice(0, 300);
  const reason = statusCode !== undefined ? `HTTP ${statusCode}: ${message}` : `${name}: ${message}`;
  return { statusCode, name, reason };
}

function failedBulkResult(
  bulkBody: unknown[],
  failure: { statusCode?: number; reason: string },
  options: { meta?: boolean } | undefined,
  attempts: number,
): unknown {
  // The helper sends index actions only: an action line and a document line each.
  const count = Math.ceil(bulkBody.length / 2);
  const item = {
    index: {
      // never 429 here: the helper would retry these documents again, after they were retried already
      status: failure.statusCode !== undefined && failure.statusCode !== 429 ? failure.statusCode : 503,
      error: { type: REQUEST_FAILED_ERROR_TYPE, reason: failure.reason },
    },
  };
  const body = { took: 0, errors: true, items: Array.from({ length: count }, () => item) };
  if (options?.meta !== true) return body;
  return { body, statusCode: 200, headers: {}, warnings: null, meta: { attempts, aborted: false, synthetic: true } };
}
