/**
 * `--fail-on` expressions: `METRIC[{endpoint="METHOD /template"}] OP VALUE`, a failure condition
 * (METHOD may be `*`, as in the name an `--endpoint "* /path"` pattern gives).
 * Rates (`diff_rate`, `status_mismatch_rate`, `error_rate`) take `N%` or a fraction (`0.005`).
 * Latency deltas (`p50_delta`, `p99_delta`) take `N%` (relative to the baseline) or milliseconds
 * (`5`, `5ms`). Operators: `>`, `>=`, `<`, `<=`.
 */
import { RepriseError } from '@reprise/core';

export const RATE_METRICS = ['diff_rate', 'status_mismatch_rate', 'error_rate'] as const;
export const DELTA_METRICS = ['p50_delta', 'p99_delta'] as const;
export type FailOnMetric = (typeof RATE_METRICS)[number] | (typeof DELTA_METRICS)[number];
export type FailOnOperator = '>' | '>=' | '<' | '<=';

export interface FailOnThreshold {
  /** The expression as given: what `failedThresholds` lists. */
  text: string;
  metric: FailOnMetric;
  /** `GET /users/:id`; undefined for the global metric. */
  endpoint?: string;
  operator: FailOnOperator;
  /** A fraction for rates and relative deltas, milliseconds for absolute deltas. */
  value: number;
  unit: 'fraction' | 'ms';
}

/** The values an expression is evaluated against (global totals or one endpoint). */
export interface FailOnMetrics {
  diffRate: number;
  statusMismatchRate: number;
  errorRate: number;
  p50Delta: number;
  p99Delta: number;
  p50DeltaMs: number;
  p99DeltaMs: number;
}

const EXPRESSION = /^\s*([a-z0-9_]+)\s*(?:\{\s*endpoint\s*=\s*"([^"]*)"\s*\})?\s*(>=|<=|>|<)\s*([0-9]*\.?[0-9]+)\s*(%|ms)?\s*$/;

function invalid(text: string, why: string): RepriseError {
  return new RepriseError('RPR_CONFIG_INVALID', `"${text}": ${why}`, { plugin: 'compare', option: 'fail-on' });
}

export function parseFailOn(text: string): FailOnThreshold {
  const match = EXPRESSION.exec(text);
  if (!match) {
    throw invalid(
      text,
      'expected METRIC[{endpoint="METHOD /path"}] OP VALUE, e.g. diff_rate>0.5% or p99_delta{endpoint="GET /users/:id"}>=20ms',
    );
  }
  const [, metric, endpoint, operator, number, suffix] = match;
  const isRate = (RATE_METRICS as readonly string[]).includes(metric!);
  const isDelta = (DELTA_METRICS as readonly string[]).includes(metric!);
  if (!isRate && !isDelta) throw invalid(text, `unknown metric "${metric}"; one of ${[...RATE_METRICS, ...DELTA_METRICS].join(', ')}`);
  // `*` is the method of the endpoints named by `--endpoint "* /static/*"`.
  if (endpoint !== undefined && !/^([A-Z]+|\*) \//.test(endpoint)) throw invalid(text, `endpoint "${endpoint}" must be "METHOD /path"`);
  let value = Number(number);
  let unit: FailOnThreshold['unit'] = 'fraction';
  if (suffix === '%') value /= 100;
  else if (isRate) {
    if (suffix === 'ms') throw invalid(text, `${metric} is a rate: use N% or a fraction, not ms`);
    if (value > 1) throw invalid(text, `${metric} without % is a fraction between 0 and 1 (did you mean ${number}%?)`);
  } else unit = 'ms';
  return { text: text.trim(), metric: metric as FailOnMetric, endpoint, operator: operator as FailOnOperator, value, unit };
}

/** The measured value an expression is about. */
export function metricValue(threshold: FailOnThreshold, m: FailOnMetrics): number {
  switch (threshold.metric) {
    case 'diff_rate':
      return m.diffRate;
    case 'status_mismatch_rate':
      return m.statusMismatchRate;
    case 'error_rate':
      return m.errorRate;
    case 'p50_delta':
      return threshold.unit === 'ms' ? m.p50DeltaMs : m.p50Delta;
    case 'p99_delta':
      return threshold.unit === 'ms' ? m.p99DeltaMs : m.p99Delta;
  }
}

/** True when the failure condition holds. */
export function thresholdFails(threshold: FailOnThreshold, metrics: FailOnMetrics): boolean {
  const v = metricValue(threshold, metrics);
  // Compare with a little tolerance so `> 1%` is not tripped by 0.010000000000000002.
  const epsilon = 1e-12;
  switch (threshold.operator) {
    case '>':
      return v > threshold.value + epsilon;
    case '>=':
      return v >= threshold.value - epsilon;
    case '<':
      return v < threshold.value - epsilon;
    case '<=':
      return v <= threshold.value + epsilon;
  }
}
