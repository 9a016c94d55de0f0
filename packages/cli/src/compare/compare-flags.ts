/**
 * The flags of `reprise compare` and `reprise report`, as component option schemas: the one source of
 * their parsing, validation, defaults and --help (the GoReplay-style flags of the pipeline come from
 * the plugins as usual; `--fail-on` and `--stats` are general flags).
 */
import { DEFAULT_IGNORED_FIELDS, type AnalyzerOptions } from '@reprise/compare';
import type { OptionSchema, OptionsOf, OptionsSchema } from '@reprise/core';

const file = (flag: string, description: string, example: string) =>
  ({ type: 'string', 'x-flag': flag, description, examples: [example] }) as const satisfies OptionSchema;

export const REPORT_PROPERTIES = {
  endpoint: {
    type: 'array',
    items: { type: 'string', pattern: '^([A-Z]+|\\*) /' },
    'x-flag': 'endpoint',
    description: 'An endpoint pattern "METHOD /path/:param" tried before the learnt templates (repeatable)',
    examples: ['GET /v1/items/:sku'],
  },
  ignore: {
    type: 'array',
    items: { type: 'string', pattern: '^(status|header\\.|body)' },
    'x-flag': 'ignore',
    description: 'A field not to compare, added to the default list of volatile headers; * matches any characters (repeatable)',
    examples: ['body.meta.*'],
  },
  ignoreDefaults: {
    type: 'boolean',
    'x-flag': 'ignore-defaults',
    description:
      'Ignore the default volatile headers (Date, X-Request-Id, ETag, traceparent, …; see docs/REGRESSION.md); --ignore-defaults=false compares them too',
  },
  noise: file(
    'noise',
    "A saved noise profile (from --save-noise): a field's noise rate is the higher of the learnt and the saved one",
    'noise.json',
  ),
  saveNoise: file('save-noise', 'Write the noise learnt in this run as a profile, for --noise', 'noise.json'),
  reportHtml: file(
    'report-html',
    'Write the report as one self-contained HTML page (tables, latency charts, side-by-side diffs)',
    'report.html',
  ),
  reportJson: file('report-json', 'Write the report as JSON (schema in docs/REGRESSION.md)', 'report.json'),
  reportJunit: file('report-junit', 'Write a JUnit XML file: one test case per endpoint, a failure for each failing one', 'junit.xml'),
  reportMarkdown: file('report-markdown', 'Write the report as Markdown, for a pull-request comment', 'pr-comment.md'),
} as const satisfies Record<string, OptionSchema>;

export const COMPARE_OPTIONS = {
  type: 'object',
  additionalProperties: false,
  properties: {
    baseline: {
      type: 'string',
      'x-flag': 'baseline',
      description: 'The version known to be good; without it the recorded responses (type 2) are the baseline',
      examples: ['http://old:8080'],
    },
    candidate: { type: 'string', 'x-flag': 'candidate', description: 'The version under test', examples: ['http://new:8080'] },
    candidateFromInput: {
      type: 'boolean',
      default: false,
      'x-flag': 'candidate-from-input',
      description:
        "Replay nothing: the replayed responses in the input (type 3) are the candidate, the recorded ones (type 2) the baseline; with --input-nats the service's results stream is read too",
    },
    allowSideEffects: {
      type: 'boolean',
      default: false,
      'x-flag': 'allow-side-effects',
      description: 'Send every method twice, not only GET, HEAD and OPTIONS (only for idempotent or disposable targets)',
    },
    saveRun: file('save-run', 'Stream every exchange to a run file, for reprise report', 'run.rpr'),
    timeout: {
      type: 'string',
      format: 'duration',
      default: '5s',
      description: 'Time a replayed request may take before it counts as failed',
      examples: ['10s'],
    },
    workers: {
      type: 'integer',
      minimum: 1,
      maximum: 10000,
      default: 16,
      description: 'Connections kept open to each target (one request at a time on each)',
      examples: [64],
    },
    ...REPORT_PROPERTIES,
  },
} as const satisfies OptionsSchema;

export const REPORT_OPTIONS = {
  type: 'object',
  additionalProperties: false,
  properties: REPORT_PROPERTIES,
} as const satisfies OptionsSchema;

/** The validated flags of `reprise report`, and of `reprise compare` (a superset), typed from their schemas. */
export type ReportFlags = OptionsOf<typeof REPORT_OPTIONS>;
export type CompareFlags = OptionsOf<typeof COMPARE_OPTIONS>;

/**
 * What shapes the analysis (saved in the run file, so reprise report repeats it): endpoint patterns
 * and ignored fields. `saved` is the run's own, used for whatever the flags leave out.
 */
export function analyzerOptionsOf(flags: ReportFlags, saved: AnalyzerOptions = {}): AnalyzerOptions {
  const isDefaultsKept = flags.ignoreDefaults ?? true;
  const ignore =
    flags.ignore === undefined && flags.ignoreDefaults === undefined && saved.ignore
      ? saved.ignore
      : [...(isDefaultsKept ? DEFAULT_IGNORED_FIELDS : []), ...(flags.ignore ?? [])];
  return { endpoints: flags.endpoint ?? saved.endpoints ?? [], ignore };
}
