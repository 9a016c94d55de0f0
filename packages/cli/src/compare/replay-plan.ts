/**
 * Which targets a request is replayed to, and how often. Noise is learnt from two responses of one
 * side: the baseline's when there is a live one, else the candidate's (the recorded original
 * response is then the baseline). Only safe methods go twice, unless side effects are allowed.
 *
 * With a live baseline the candidate gets a safe request twice as well, though only its first
 * response is compared: measured here, the side sent twice as many requests answered about 40%
 * faster at the median (identical services on one machine), which the latency test would report
 * as a regression. Equal load on both sides keeps their latencies comparable.
 */
import type { Role } from '@reprise/compare';

export interface ReplayPlan {
  baseline?: string;
  candidate: string;
  allowSideEffects: boolean;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The request line's method, read from the raw bytes without parsing the rest. */
export function methodOf(payload: Uint8Array): string {
  let end = 0;
  while (end < payload.length && end < 16 && payload[end] !== 0x20) end++;
  return String.fromCharCode(...payload.subarray(0, end));
}

/** The replays one request gets, in a fixed order (the driver shuffles them). */
export function rolesFor(method: string, plan: ReplayPlan): Role[] {
  const isRepeatable = plan.allowSideEffects || SAFE_METHODS.has(method);
  if (plan.baseline !== undefined) return isRepeatable ? ['baseline', 'baseline', 'candidate', 'candidate'] : ['baseline', 'candidate'];
  return isRepeatable ? ['candidate', 'candidate'] : ['candidate'];
}

/** Fisher–Yates in place: the order of a request's replays is random, so neither target is always first. */
export function shuffle<T>(items: T[], random: () => number = Math.random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
