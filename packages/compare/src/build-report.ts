/**
 * From the analyzer's state to a CompareReport: the noise rule, the latency test and the verdict.
 *
 * Noise rule, per endpoint, field and kind: raw = differing exchanges / compared exchanges;
 * noise = differing same-side pairs / pairs (the higher of that and a loaded profile's rate; an
 * endpoint without any pair borrows the highest rate the same field and kind had on an endpoint
 * with pairs). Reported when raw > noise × (1 + relativeMargin) and raw − noise > absoluteMargin.
 *
 * Errors follow the same rule, per endpoint, with the baseline's error rate as the noise: a
 * candidate that fails more requests than the baseline (a down candidate fails them all) fails the
 * default verdict, however little was left to compare.
 */
import type { Analyzer } from './analyzer.js';
import type { EndpointState, FieldState } from './endpoint-state.js';
import { parseFailOn, thresholdFails, type FailOnMetrics } from './fail-on.js';
import { DEFAULT_IGNORED_FIELDS } from './ignore-list.js';
import { mannWhitneyGreater } from './latency/mann-whitney.js';
import type { LatencyTrack } from './latency/latency-track.js';
import { noiseKey, noiseProfileRates } from './noise-profile.js';
import { DEFAULT_ABSOLUTE_MARGIN, DEFAULT_LATENCY, DEFAULT_RELATIVE_MARGIN, type ResultOptions } from './options.js';
import { REPORT_VERSION, type CompareReport, type Difference, type EndpointReport, type LatencyComparison } from './report.js';
import { diffKey } from './response-diff.js';

export function buildReport(analyzer: Analyzer, options: ResultOptions): CompareReport {
  const thresholds = (options.failOn ?? []).map(parseFailOn);
  const relativeMargin = options.relativeMargin ?? DEFAULT_RELATIVE_MARGIN;
  const absoluteMargin = options.absoluteMargin ?? DEFAULT_ABSOLUTE_MARGIN;
  const latencySettings = { ...DEFAULT_LATENCY, ...definedOnly(options.latency ?? {}) };
  const profileRates = noiseProfileRates(options.noise);
  const borrowed = borrowableNoise(analyzer.endpoints.values());
  const aboveNoise = (rate: number, noiseRate: number) => rate > noiseRate * (1 + relativeMargin) && rate - noiseRate > absoluteMargin;

  const states = [...analyzer.endpoints.values()].sort((a, b) => b.requests - a.requests || a.endpoint.localeCompare(b.endpoint));
  let differing = 0;
  let compared = 0;
  let statusMismatches = 0;
  let candidateErrors = 0;
  const endpoints = states.map((state): EndpointReport => {
    const differences: Difference[] = [];
    const noise: EndpointReport['noise'] = [];
    const reported = new Set<string>();
    for (const [key, field] of state.fields) {
      if (field.raw === 0) continue;
      const rate = state.compared === 0 ? 0 : field.raw / state.compared;
      const noiseRate = noiseRateOf(state, field, profileRates, borrowed);
      const entry = { field: field.field, kind: field.kind, count: field.raw, rate, noiseRate };
      if (aboveNoise(rate, noiseRate)) {
        differences.push({ ...entry, examples: field.examples });
        reported.add(key);
      } else noise.push(entry);
    }
    differences.sort(byRateThenField);
    noise.sort(byRateThenField);
    const endpointDiffering = state.exchangesDiffering(reported);
    differing += endpointDiffering;
    compared += state.compared;
    statusMismatches += state.statusMismatches;
    candidateErrors += state.candidateErrors;
    const errorRate = ratio(state.candidateErrors, state.requests);
    const baselineErrorRate = ratio(state.baselineErrors, state.requests);
    return {
      endpoint: state.endpoint,
      requests: state.requests,
      compared: state.compared,
      noiseSamples: state.noiseSamples,
      diffRate: ratio(endpointDiffering, state.requests),
      statusMismatchRate: ratio(state.statusMismatches, state.compared),
      errorRate,
      baselineErrorRate,
      errorRegression: aboveNoise(errorRate, baselineErrorRate),
      differences,
      noise,
      latency: compareLatency(state.latency.baseline, state.latency.candidate, latencySettings),
      ...grpcStatusOf(state),
    };
  });

  const overall = compareLatency(analyzer.overall.baseline, analyzer.overall.candidate, latencySettings);
  const totals = {
    diffRate: ratio(differing, analyzer.requests),
    statusMismatchRate: ratio(statusMismatches, compared),
    errorRate: ratio(candidateErrors, analyzer.requests),
    p50Delta: overall.p50Delta,
    p99Delta: overall.p99Delta,
    p50DeltaMs: overall.p50DeltaMs,
    p99DeltaMs: overall.p99DeltaMs,
  };

  const failedThresholds = thresholds
    .filter((t) => {
      if (t.endpoint === undefined) return thresholdFails(t, totals);
      const e = endpoints.find((x) => x.endpoint === t.endpoint);
      return e !== undefined && thresholdFails(t, endpointMetrics(e));
    })
    .map((t) => t.text);
  // An endpoint expression that names no endpoint can never fail: a typo would pass silently.
  const warnings = thresholds
    .filter((t) => t.endpoint !== undefined && !endpoints.some((e) => e.endpoint === t.endpoint))
    .map((t) => unmatchedWarning(t.text, t.endpoint!, endpoints.length));
  const failed =
    thresholds.length > 0
      ? failedThresholds.length > 0
      : endpoints.some((e) => e.differences.length > 0 || e.errorRegression || e.latency.regression);

  return {
    version: REPORT_VERSION,
    verdict: failed ? 'fail' : 'pass',
    requests: analyzer.requests,
    failedThresholds,
    warnings,
    totals,
    endpoints,
    settings: {
      run: options.run ?? {},
      relativeMargin,
      absoluteMargin,
      ignore: [...(analyzer.options.ignore ?? DEFAULT_IGNORED_FIELDS)],
      endpoints: [...(analyzer.options.endpoints ?? [])],
      failOn: thresholds.map((t) => t.text),
      latency: latencySettings,
      ...(options.noiseLabel !== undefined || options.noise ? { noiseProfile: options.noiseLabel ?? '(given)' } : {}),
    },
  };
}

function unmatchedWarning(threshold: string, endpoint: string, endpoints: number): string {
  return `--fail-on ${threshold} matched no endpoint: none of the run's ${endpoints} endpoints is "${endpoint}", so it cannot fail`;
}

/** The grpc-status breakdown, on endpoints that answered gRPC; codes in numeric order. */
function grpcStatusOf(state: EndpointState): Pick<EndpointReport, 'grpcStatus'> {
  const { baseline, candidate } = state.grpcStatuses;
  if (baseline.size === 0 && candidate.size === 0) return {};
  const counts = (m: Map<string, number>) => Object.fromEntries([...m].sort(([a], [b]) => Number(a) - Number(b) || a.localeCompare(b)));
  return { grpcStatus: { baseline: counts(baseline), candidate: counts(candidate) } };
}

function endpointMetrics(e: EndpointReport): FailOnMetrics {
  const { p50Delta, p99Delta, p50DeltaMs, p99DeltaMs } = e.latency;
  return {
    diffRate: e.diffRate,
    statusMismatchRate: e.statusMismatchRate,
    errorRate: e.errorRate,
    p50Delta,
    p99Delta,
    p50DeltaMs,
    p99DeltaMs,
  };
}

function noiseRateOf(state: EndpointState, field: FieldState, profileRates: Map<string, number>, borrowed: Map<string, number>): number {
  const learnt = state.noiseSamples > 0 ? field.noise / state.noiseSamples : (borrowed.get(diffKey(field.field, field.kind)) ?? 0);
  return Math.max(learnt, profileRates.get(noiseKey(state.endpoint, field.field, field.kind)) ?? 0);
}

/** Field and kind → the highest noise rate it had on an endpoint with noise pairs. */
function borrowableNoise(states: Iterable<EndpointState>): Map<string, number> {
  const rates = new Map<string, number>();
  for (const state of states) {
    if (state.noiseSamples === 0) continue;
    for (const [key, f] of state.fields) {
      if (f.noise === 0) continue;
      rates.set(key, Math.max(rates.get(key) ?? 0, f.noise / state.noiseSamples));
    }
  }
  return rates;
}

export function compareLatency(
  baseline: LatencyTrack,
  candidate: LatencyTrack,
  settings: { alpha: number; minRelativeDelta: number; minAbsoluteDeltaMs: number },
): LatencyComparison {
  const b = baseline.summary();
  const c = candidate.summary();
  const p50DeltaMs = c.p50 - b.p50;
  const p99DeltaMs = c.p99 - b.p99;
  const measured = b.count > 0 && c.count > 0;
  const p50Delta = measured && b.p50 > 0 ? p50DeltaMs / b.p50 : 0;
  const p99Delta = measured && b.p99 > 0 ? p99DeltaMs / b.p99 : 0;
  const { pValue } = measured ? mannWhitneyGreater(baseline.reservoir.values(), candidate.reservoir.values()) : { pValue: 1 };
  const regression =
    measured && pValue < settings.alpha && p50Delta >= settings.minRelativeDelta && p50DeltaMs >= settings.minAbsoluteDeltaMs;
  return {
    baseline: b,
    candidate: c,
    p50Delta: measured ? p50Delta : 0,
    p99Delta: measured ? p99Delta : 0,
    p50DeltaMs: measured ? p50DeltaMs : 0,
    p99DeltaMs: measured ? p99DeltaMs : 0,
    pValue,
    regression,
  };
}

function ratio(part: number, whole: number): number {
  return whole === 0 ? 0 : part / whole;
}

function byRateThenField(a: { rate: number; field: string; kind: string }, b: { rate: number; field: string; kind: string }): number {
  return b.rate - a.rate || a.field.localeCompare(b.field) || a.kind.localeCompare(b.kind);
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
