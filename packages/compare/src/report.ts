/**
 * The comparison report: what `Analyzer.result()` returns, what --report-json writes and what
 * every renderer reads. Rates are fractions (0.05 = 5%); latencies are milliseconds.
 */
import type { DifferenceKind } from './comparator.js';

export const REPORT_VERSION = 1;

export interface DifferenceExample {
  /** The exchange id (24 hex). */
  id: string;
  /** The value in the baseline / candidate, as text (JSON for JSON values, truncated); null when absent. */
  baseline: string | null;
  candidate: string | null;
}

export interface Difference {
  /**
   * `status`, `grpc-status`, `grpc-message`, `header.<lower-case name>`, `trailer.<lower-case name>` or
   * `body[.<path>]` with array elements folded (`body.items[].price`; protobuf by field number: `body.2.1`).
   */
  field: string;
  kind: DifferenceKind;
  /** Exchanges of the endpoint where the field differed this way, baseline vs candidate. */
  count: number;
  /** count / the endpoint's compared exchanges. */
  rate: number;
  /** The same field and kind between two responses of the same side (or from --noise), 0..1. */
  noiseRate: number;
  /** At most 5, in arrival order. */
  examples: DifferenceExample[];
}

export interface LatencySummary {
  /** Responses measured. */
  count: number;
  /** Replays that got no response. */
  errors: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export interface LatencyComparison {
  baseline: LatencySummary;
  candidate: LatencySummary;
  /** Relative deltas, (candidate − baseline) / baseline; 0 when the baseline is 0. */
  p50Delta: number;
  p99Delta: number;
  /** Absolute deltas in milliseconds. */
  p50DeltaMs: number;
  p99DeltaMs: number;
  /** One-sided Mann–Whitney U p-value for "the candidate is slower"; 1 when there are too few samples. */
  pValue: number;
  /** pValue < alpha and the p50 delta reaches both minimum effect sizes. */
  regression: boolean;
}

export interface EndpointReport {
  /** `METHOD /template`, e.g. `GET /users/:id`. */
  endpoint: string;
  /** Exchanges of this endpoint. */
  requests: number;
  /** Exchanges compared (a baseline and a candidate response both present). */
  compared: number;
  /** Exchanges whose noise was measured (two responses of one side). */
  noiseSamples: number;
  /** Share of the requests with at least one reported difference. */
  diffRate: number;
  /** Share of the compared exchanges whose status differed. */
  statusMismatchRate: number;
  /** Share of the requests the candidate did not answer. */
  errorRate: number;
  /** Share of the requests the baseline did not answer (0 when the baseline is the recording). */
  baselineErrorRate: number;
  /** The candidate's error rate exceeds the baseline's by both margins (fails the default verdict). */
  errorRegression: boolean;
  /** Reported differences: raw rate above the noise by both margins. Sorted by rate, descending. */
  differences: Difference[];
  /** Fields that differed but were cancelled as noise (no examples), for transparency. */
  noise: Array<Omit<Difference, 'examples'>>;
  latency: LatencyComparison;
  /**
   * gRPC endpoints only: per side, grpc-status code → exchanges whose (first) response had it;
   * `"0"` is OK, any other code counts as an error in errorRate / baselineErrorRate.
   */
  grpcStatus?: { baseline: Record<string, number>; candidate: Record<string, number> };
}

export interface ReportSettings {
  /** The run's settings as written in the run file header (targets, mode, …). */
  run: Record<string, unknown>;
  relativeMargin: number;
  absoluteMargin: number;
  ignore: string[];
  endpoints: string[];
  failOn: string[];
  latency: { alpha: number; minRelativeDelta: number; minAbsoluteDeltaMs: number };
  /** The noise profile given with --noise, if any (its path or a label). */
  noiseProfile?: string;
}

export interface CompareReport {
  version: number;
  verdict: 'pass' | 'fail';
  /** All exchanges analysed. */
  requests: number;
  /** The --fail-on expressions that failed (empty without --fail-on). */
  failedThresholds: string[];
  /** What may make the verdict wrong, e.g. an endpoint --fail-on expression that matched no endpoint. */
  warnings: string[];
  /** Global metrics, as evaluated by --fail-on expressions without an endpoint. */
  totals: {
    diffRate: number;
    statusMismatchRate: number;
    errorRate: number;
    p50Delta: number;
    p99Delta: number;
    p50DeltaMs: number;
    p99DeltaMs: number;
  };
  endpoints: EndpointReport[];
  settings: ReportSettings;
}

const rate = { type: 'number', minimum: 0, maximum: 1 };
const latencySummary = {
  type: 'object',
  required: ['count', 'errors', 'p50', 'p90', 'p95', 'p99', 'p999', 'max'],
  properties: Object.fromEntries(
    ['count', 'errors', 'p50', 'p90', 'p95', 'p99', 'p999', 'max'].map((k) => [k, { type: 'number', minimum: 0 }]),
  ),
};
const differenceProperties = {
  field: { type: 'string', pattern: "^(status|grpc-status|grpc-message|(header|trailer)\\.[a-z0-9!#$%&'*+.^_`|~-]+|body.*)$" },
  kind: { enum: ['changed', 'missing', 'extra', 'type'] },
  count: { type: 'integer', minimum: 0 },
  rate,
  noiseRate: rate,
};
const deltas = {
  p50Delta: { type: 'number' },
  p99Delta: { type: 'number' },
  p50DeltaMs: { type: 'number' },
  p99DeltaMs: { type: 'number' },
};
const example = {
  type: 'object',
  required: ['id', 'baseline', 'candidate'],
  properties: { id: { type: 'string' }, baseline: { type: ['string', 'null'] }, candidate: { type: ['string', 'null'] } },
};

/** JSON Schema (draft 2019-09 subset, for ajv) of a CompareReport. */
export const compareReportSchema = {
  $id: 'https://reprise.dev/schemas/compare-report-1.json',
  type: 'object',
  required: ['version', 'verdict', 'requests', 'failedThresholds', 'warnings', 'totals', 'endpoints', 'settings'],
  properties: {
    version: { const: REPORT_VERSION },
    verdict: { enum: ['pass', 'fail'] },
    requests: { type: 'integer', minimum: 0 },
    failedThresholds: { type: 'array', items: { type: 'string' } },
    warnings: { type: 'array', items: { type: 'string' } },
    totals: {
      type: 'object',
      required: ['diffRate', 'statusMismatchRate', 'errorRate', 'p50Delta', 'p99Delta', 'p50DeltaMs', 'p99DeltaMs'],
      properties: { diffRate: rate, statusMismatchRate: rate, errorRate: rate, ...deltas },
    },
    endpoints: {
      type: 'array',
      items: {
        type: 'object',
        required: [
          'endpoint',
          'requests',
          'compared',
          'noiseSamples',
          'diffRate',
          'statusMismatchRate',
          'errorRate',
          'baselineErrorRate',
          'errorRegression',
          'differences',
          'noise',
          'latency',
        ],
        properties: {
          endpoint: { type: 'string', pattern: '^[A-Z*]+ /' },
          requests: { type: 'integer', minimum: 0 },
          compared: { type: 'integer', minimum: 0 },
          noiseSamples: { type: 'integer', minimum: 0 },
          diffRate: rate,
          statusMismatchRate: rate,
          errorRate: rate,
          baselineErrorRate: rate,
          errorRegression: { type: 'boolean' },
          differences: {
            type: 'array',
            items: {
              type: 'object',
              required: ['field', 'kind', 'count', 'rate', 'noiseRate', 'examples'],
              properties: { ...differenceProperties, examples: { type: 'array', maxItems: 5, items: example } },
            },
          },
          noise: {
            type: 'array',
            items: { type: 'object', required: ['field', 'kind', 'count', 'rate', 'noiseRate'], properties: differenceProperties },
          },
          latency: {
            type: 'object',
            required: ['baseline', 'candidate', 'p50Delta', 'p99Delta', 'p50DeltaMs', 'p99DeltaMs', 'pValue', 'regression'],
            properties: {
              baseline: latencySummary,
              candidate: latencySummary,
              ...deltas,
              pValue: { type: 'number', minimum: 0, maximum: 1 },
              regression: { type: 'boolean' },
            },
          },
          grpcStatus: {
            type: 'object',
            required: ['baseline', 'candidate'],
            properties: {
              baseline: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } },
              candidate: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } },
            },
          },
        },
      },
    },
    settings: {
      type: 'object',
      required: ['run', 'relativeMargin', 'absoluteMargin', 'ignore', 'endpoints', 'failOn', 'latency'],
      properties: {
        run: { type: 'object' },
        relativeMargin: { type: 'number', minimum: 0 },
        absoluteMargin: { type: 'number', minimum: 0 },
        ignore: { type: 'array', items: { type: 'string' } },
        endpoints: { type: 'array', items: { type: 'string' } },
        failOn: { type: 'array', items: { type: 'string' } },
        latency: {
          type: 'object',
          required: ['alpha', 'minRelativeDelta', 'minAbsoluteDeltaMs'],
          properties: { alpha: { type: 'number' }, minRelativeDelta: { type: 'number' }, minAbsoluteDeltaMs: { type: 'number' } },
        },
        noiseProfile: { type: 'string' },
      },
    },
  },
} as const;
