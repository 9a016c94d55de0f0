import { parseDurationMs, parseSizeBytes, RepriseError, type OptionsOf, type OptionsSchema, type OptionSchema } from '@reprise/core';
import type { JoinResponses } from './join.js';

/** The options in the units the code uses. */
export interface ElasticsearchSettings {
  joinWindowMs: number;
  joinMaxPending: number;
  responses: JoinResponses;
  includeBodies: boolean;
  bodyLimitBytes: number;
  keepSensitiveHeaders: boolean;
  indexPattern?: string;
  credentialsFile?: string;
  caFile?: string;
  skipVerify: boolean;
  flushBytes: number;
  flushIntervalMs: number;
  concurrency: number;
  queueLimit: number;
  retries: number;
  retryBackoffMs: number;
  timeoutMs: number;
}

const COMMON_PROPERTIES = {
  joinWindow: {
    type: 'string',
    format: 'duration',
    default: '5s',
    description:
      'How long a request waits for its responses (and a response for its request) before its document is indexed with what arrived',
    examples: ['5s', '30s'],
  },
  joinMaxPending: {
    type: 'integer',
    minimum: 1,
    default: 50000,
    description: 'At most this many requests wait for their responses; beyond it the oldest is indexed at once',
    examples: [50000],
  },
  includeBodies: {
    type: 'boolean',
    default: false,
    description: 'Index request and response bodies (Req_Body, Resp_Body), cut at the body limit; off by default',
    examples: [true],
  },
  bodyLimit: {
    type: 'string',
    format: 'size',
    default: '16kb',
    description: 'Largest body indexed when bodies are included; longer ones are cut and flagged *_Body-Truncated',
    examples: ['16kb', '1mb'],
  },
  keepSensitiveHeaders: {
    type: 'boolean',
    default: false,
    description: 'Index Authorization, Cookie and Set-Cookie values as they are (they are redacted by default)',
    examples: [true],
  },
  indexPattern: {
    type: 'string',
    description:
      'Index name with UTC date parts of the request time (%Y %m %d %H %j), replacing the index of the address: one index per day',
    examples: ['gor-%Y-%m-%d', 'reprise-%Y.%m.%d'],
  },
  credentialsFile: {
    type: 'string',
    description:
      'JSON file with {"apiKey": "..."} or {"username": "...", "password": "..."}; otherwise REPRISE_ES_API_KEY, or REPRISE_ES_USERNAME and REPRISE_ES_PASSWORD',
    examples: ['/etc/reprise/es-credentials.json'],
  },
  caFile: {
    type: 'string',
    description: 'PEM file of the certificate authority that signed the cluster certificate (https addresses)',
    examples: ['/etc/elasticsearch/certs/http_ca.crt'],
  },
  skipVerify: {
    type: 'boolean',
    default: false,
    description: 'Do not verify the cluster TLS certificate (testing only)',
    examples: [true],
  },
  flushBytes: {
    type: 'string',
    format: 'size',
    default: '5mb',
    description: 'A bulk request is sent when its documents reach this size (the bulk helper default)',
    examples: ['5mb', '1mb'],
  },
  flushInterval: {
    type: 'string',
    format: 'duration',
    default: '5s',
    description: 'A bulk request is sent at least this often while documents wait',
    examples: ['5s', '30s'],
  },
  concurrency: {
    type: 'integer',
    minimum: 1,
    default: 5,
    description: 'Bulk requests in flight at once (the bulk helper default)',
    examples: [5],
  },
  queueLimit: {
    type: 'integer',
    minimum: 1,
    default: 10000,
    description:
      'Documents waiting for a bulk request; when full the output holds the pipeline back, or drops and counts them while Elasticsearch is unreachable',
    examples: [10000],
  },
  retries: {
    type: 'integer',
    minimum: 0,
    default: 3,
    description: 'Retries of a bulk request answered 429 or 5xx or not answered, and of documents rejected with 429',
    examples: [3],
  },
  retryBackoff: {
    type: 'string',
    format: 'duration',
    default: '500ms',
    description: 'Wait before the first retry; it doubles with each retry (with jitter), up to 30s',
    examples: ['500ms', '2s'],
  },
  timeout: {
    type: 'string',
    format: 'duration',
    default: '30s',
    description: 'Time limit of one request to Elasticsearch',
    examples: ['30s'],
  },
} as const satisfies Record<string, OptionSchema>;

const RESPONSES_OPTION = {
  type: 'string',
  enum: ['auto', 'original', 'replayed', 'both'],
  default: 'auto',
  description:
    'Responses a request waits for: auto (both at first, then only the kinds the stream carries), original (captured), replayed (from output-http), or both',
  examples: ['both', 'replayed'],
} as const satisfies OptionSchema;

/** output-elasticsearch: joins original and replayed responses. */
export const ELASTICSEARCH_OPTIONS = {
  type: 'object',
  properties: { ...COMMON_PROPERTIES, responses: RESPONSES_OPTION },
  additionalProperties: false,
} as const satisfies OptionsSchema;

/** output-http-elasticsearch: GoReplay's form, replayed responses only. */
export const HTTP_ELASTICSEARCH_OPTIONS = {
  type: 'object',
  properties: { ...COMMON_PROPERTIES },
  additionalProperties: false,
} as const satisfies OptionsSchema;

/** Options as validated by the core, defaults applied (camelCase; each becomes `--<component>-<kebab-case>`). */
export type ElasticsearchOptions = OptionsOf<typeof ELASTICSEARCH_OPTIONS>;
export type HttpElasticsearchOptions = OptionsOf<typeof HTTP_ELASTICSEARCH_OPTIONS>;

/** Converts validated options (the schema's defaults applied) to settings: durations and sizes parsed. */
export function toSettings(options: ElasticsearchOptions, component: string): ElasticsearchSettings {
  const where = (option: string): string => `--${component}-${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const duration = (name: 'joinWindow' | 'flushInterval' | 'retryBackoff' | 'timeout'): number =>
    parseDurationMs(options[name], where(name));
  const size = (name: 'bodyLimit' | 'flushBytes'): number => parseSizeBytes(options[name], where(name));
  const settings: ElasticsearchSettings = {
    joinWindowMs: duration('joinWindow'),
    joinMaxPending: options.joinMaxPending,
    responses: options.responses,
    includeBodies: options.includeBodies,
    bodyLimitBytes: size('bodyLimit'),
    keepSensitiveHeaders: options.keepSensitiveHeaders,
    indexPattern: options.indexPattern,
    credentialsFile: options.credentialsFile,
    caFile: options.caFile,
    skipVerify: options.skipVerify,
    flushBytes: size('flushBytes'),
    flushIntervalMs: duration('flushInterval'),
    concurrency: options.concurrency,
    queueLimit: options.queueLimit,
    retries: options.retries,
    retryBackoffMs: duration('retryBackoff'),
    timeoutMs: duration('timeout'),
  };
  for (const [name, value] of [
    ['flushInterval', settings.flushIntervalMs],
    ['timeout', settings.timeoutMs],
    ['joinWindow', settings.joinWindowMs],
  ] as const) {
    if (!(value > 0)) {
      throw new RepriseError('RPR_PLUGIN_OPTIONS', `${where(name)} must be longer than 0`, { plugin: component, option: name });
    }
  }
  if (!(settings.flushBytes > 0)) {
    throw new RepriseError('RPR_PLUGIN_OPTIONS', `${where('flushBytes')} must be more than 0`, { plugin: component, option: 'flushBytes' });
  }
  return settings;
}
