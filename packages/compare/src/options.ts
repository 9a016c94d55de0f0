import type { Comparator } from './comparator.js';
import type { NoiseProfile } from './noise-profile.js';

/** What is fixed while exchanges are added (it shapes the per-endpoint state). */
export interface AnalyzerOptions {
  /** `--endpoint` patterns (`GET /v1/items/:sku`, `* /static/*`), tried in order before learnt templates. */
  endpoints?: string[];
  /** Field patterns not compared (`*` matches any characters); default DEFAULT_IGNORED_FIELDS. */
  ignore?: string[];
  /** Comparators from plugins, tried before the built-in json, text and binary ones. */
  comparators?: Comparator[];
  /** Examples kept per field and kind (default 5). */
  maxExamples?: number;
  /** Latency samples kept per endpoint and side for the rank test (default 2000). */
  reservoirSize?: number;
  /** Distinct endpoints tracked; later ones are pooled into `METHOD /(other)` (default 500). */
  maxEndpoints?: number;
}

/** What can change when the same analysis is re-read (`reprise report` with other thresholds). */
export interface ResultOptions {
  /** `--fail-on` expressions; when given they alone decide the verdict. */
  failOn?: string[];
  /** A field is reported when raw > noise × (1 + relativeMargin) … (default 0.2). */
  relativeMargin?: number;
  /** … and raw − noise > absoluteMargin (a fraction of the endpoint's requests; default 0.0003). */
  absoluteMargin?: number;
  /** A saved noise profile (`--noise`); a field's noise rate is the higher of the learnt and saved ones. */
  noise?: NoiseProfile;
  /** How the profile is named in the report's settings (its path). */
  noiseLabel?: string;
  latency?: { alpha?: number; minRelativeDelta?: number; minAbsoluteDeltaMs?: number };
  /** The run's settings (run file header) echoed in the report. */
  run?: Record<string, unknown>;
}

export const DEFAULT_RELATIVE_MARGIN = 0.2;
export const DEFAULT_ABSOLUTE_MARGIN = 0.0003;
export const DEFAULT_LATENCY = { alpha: 0.01, minRelativeDelta: 0.1, minAbsoluteDeltaMs: 1 } as const;
