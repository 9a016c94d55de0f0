/** What each renderer marks as failed, from the report alone (so every format agrees with the verdict). */
import { parseFailOn } from '../fail-on.js';
import type { CompareReport, EndpointReport } from '../report.js';
import { ms, percent } from './format.js';

/** The failed --fail-on expressions scoped to this endpoint (`…{endpoint="GET /users/:id"}…`). */
export function endpointThresholds(report: CompareReport, endpoint: string): string[] {
  return report.failedThresholds.filter((t) => scopeOf(t) === endpoint);
}

/** The failed --fail-on expressions that apply to the whole run. */
export function globalThresholds(report: CompareReport): string[] {
  return report.failedThresholds.filter((t) => scopeOf(t) === undefined);
}

function scopeOf(threshold: string): string | undefined {
  try {
    return parseFailOn(threshold).endpoint;
  } catch {
    return undefined; // the report came from elsewhere: shown as a global threshold
  }
}

/**
 * Why an endpoint fails: with --fail-on, the expressions naming it; without, each reported
 * difference, more candidate errors than the baseline's and a latency regression. Empty when it passes.
 */
export function failureReasons(report: CompareReport, endpoint: EndpointReport): string[] {
  if (report.settings.failOn.length > 0) return endpointThresholds(report, endpoint.endpoint).map((t) => `threshold ${t}`);
  const reasons = endpoint.differences.map((d) => `${d.field} ${d.kind} in ${percent(d.rate)} of requests (noise ${percent(d.noiseRate)})`);
  if (endpoint.errorRegression) {
    reasons.push(`candidate errors on ${percent(endpoint.errorRate)} of requests (baseline ${percent(endpoint.baselineErrorRate)})`);
  }
  if (endpoint.latency.regression) {
    const l = endpoint.latency;
    reasons.push(
      `latency regression: p50 ${ms(l.baseline.p50)} → ${ms(l.candidate.p50)}, p99 ${ms(l.baseline.p99)} → ${ms(l.candidate.p99)} (p = ${l.pValue.toPrecision(2)})`,
    );
  }
  return reasons;
}
