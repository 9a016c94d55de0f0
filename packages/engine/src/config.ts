/**
 * The pipeline config: what `reprise run --config pipeline.json` reads and what the flags are parsed
 * into, so both produce the same validated pipeline.
 */
import type { ComponentCatalog } from './catalog.js';
import { parseDurationMs } from '@reprise/core';
import { RepriseError } from '@reprise/core';
import type { LogLevel } from './logger.js';
import { describeAjvError, lazyValidator, validateOptions } from '@reprise/core';
import type { ComponentUse, PipelineSettings } from './pipeline.js';
import type { ComponentKind } from '@reprise/core';
import { parseRateSuffix, type Rate } from '@reprise/core';
import { SETTINGS_FLAGS, settingDefault } from './settings.js';
import { suggest } from './suggest.js';

export interface ComponentConfig {
  /** Component name, e.g. `output-http`. */
  use: string;
  /** The main value, with GoReplay's optional rate suffix: `http://staging|50%`. */
  value?: string;
  options?: Record<string, unknown>;
}

export interface SettingsConfig {
  splitOutput?: boolean;
  recognizeTcpSessions?: boolean;
  sessionResponseTimeout?: string;
  exitAfter?: string;
  stats?: boolean;
  statsInterval?: string;
  verbose?: boolean;
  quiet?: boolean;
  queueSize?: number;
  bufferPolicy?: 'auto' | 'block' | 'drop';
  drainTimeout?: string;
  cpuProfile?: string;
  memProfile?: string;
  failOn?: string[];
}

export interface PipelineConfig {
  inputs: ComponentConfig[];
  middleware?: ComponentConfig[];
  outputs: ComponentConfig[];
  settings?: SettingsConfig;
}

/** What the CLI needs to run and report: the components, the engine settings, the reporting settings. */
export interface ResolvedPipeline {
  inputs: ComponentUse[];
  middleware: ComponentUse[];
  outputs: ComponentUse[];
  settings: Partial<PipelineSettings>;
  report: { stats: boolean; statsIntervalMs: number; quiet: boolean; failOn: string[] };
  /** Files the CLI writes a CPU profile and a heap snapshot to (GoReplay's --cpuprofile, --memprofile). */
  profile: { cpu?: string; heap?: string };
}

const componentSchema = {
  type: 'object',
  properties: { use: { type: 'string' }, value: { type: 'string' }, options: { type: 'object' } },
  required: ['use'],
  additionalProperties: false,
};

const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(
    SETTINGS_FLAGS.map((s) => {
      const schema = { type: s.type, ...(s.enum ? { enum: s.enum } : {}), ...(s.format ? { format: s.format } : {}) };
      return [s.key, s.isRepeatable ? { type: 'array', items: schema } : schema];
    }),
  ),
};

const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    inputs: { type: 'array', items: componentSchema },
    middleware: { type: 'array', items: componentSchema },
    outputs: { type: 'array', items: componentSchema },
    settings: settingsSchema,
  },
  required: ['inputs', 'outputs'],
};

const validateStructure = lazyValidator(configSchema);

/** Validates a config and resolves it against the catalog. `source` names the file in errors. */
export function resolvePipelineConfig(config: unknown, catalog: ComponentCatalog, source = 'config'): ResolvedPipeline {
  if (!validateStructure(config)) {
    const error = validateStructure.errors![0]!;
    const key = error.keyword === 'additionalProperties' ? `${error.instancePath}/${error.params.additionalProperty}` : error.instancePath;
    throw new RepriseError('RPR_CONFIG_INVALID', `${key || '/'} ${describeAjvError(error)}`, { file: source });
  }
  const typed = config as unknown as PipelineConfig;
  if (typed.inputs.length === 0)
    throw new RepriseError('RPR_CONFIG_INVALID', 'no input: add one, e.g. --input-file requests.gor or --input-raw :8080', {
      file: source,
    });
  if (typed.outputs.length === 0)
    throw new RepriseError('RPR_CONFIG_INVALID', 'no output: add one, e.g. --output-http http://staging or --output-stdout', {
      file: source,
    });
  const resolve = (kind: ComponentKind, list: ComponentConfig[] | undefined, section: string) =>
    (list ?? []).map((item, index) => resolveComponent(item, kind, catalog, `${source}: /${section}/${index}`));
  const s = typed.settings ?? {};
  const duration = (text: string | undefined, key: string) => (text === undefined ? undefined : parseDurationMs(text, key));
  const level: LogLevel = s.verbose ? 'debug' : s.quiet ? 'warn' : 'info';
  const uses = {
    inputs: resolve('input', typed.inputs, 'inputs'),
    middleware: resolve('middleware', typed.middleware, 'middleware'),
    outputs: resolve('output', typed.outputs, 'outputs'),
  };
  applyImplications([...uses.inputs, ...uses.middleware, ...uses.outputs]);
  return {
    ...uses,
    settings: dropUndefined({
      splitOutput: s.splitOutput,
      recognizeTcpSessions: s.recognizeTcpSessions,
      sessionResponseTimeoutMs: duration(s.sessionResponseTimeout, 'session-response-timeout'),
      exitAfterMs: duration(s.exitAfter, 'exit-after'),
      queueCapacity: s.queueSize,
      bufferPolicy: s.bufferPolicy,
      drainTimeoutMs: duration(s.drainTimeout, 'drain-timeout'),
      logLevel: level,
    }),
    report: {
      stats: s.stats ?? false,
      statsIntervalMs: duration(s.statsInterval, 'stats-interval') ?? (settingDefault('statsInterval') as number),
      quiet: s.quiet ?? false,
      failOn: s.failOn ?? [],
    },
    profile: dropUndefined({ cpu: s.cpuProfile, heap: s.memProfile }),
  };
}

/** Sets the options a component implies on the other components it names (e.g. track-response). */
function applyImplications(uses: ComponentUse[]): void {
  for (const use of uses) {
    for (const implication of use.definition.implies ?? []) {
      for (const other of uses.filter((u) => u.definition.name === implication.component)) {
        other.options = Object.freeze({ ...other.options, ...implication.options });
      }
    }
  }
}

function resolveComponent(item: ComponentConfig, kind: ComponentKind, catalog: ComponentCatalog, where: string): ComponentUse {
  const definition = catalog.get(item.use);
  if (!definition || definition.kind !== kind) {
    const names = catalog
      .components()
      .filter((c) => c.kind === kind)
      .map((c) => c.name);
    const hint = suggest(item.use, names);
    throw new RepriseError(
      'RPR_CONFIG_INVALID',
      `no ${kind} component named "${item.use}"${hint.length ? ` (did you mean ${hint.join(', ')}?)` : ''}; ${kind}s: ${names.join(', ')}`,
      { file: where },
    );
  }
  let value = item.value;
  let rate: Rate | undefined;
  if (value !== undefined && (definition.rate ?? 'core') !== 'none') ({ value, rate } = parseRateSuffix(value, definition.name));
  else if (value !== undefined && RATE_SUFFIX.test(value)) {
    // Taken as part of the value, "x.json|50%" would quietly become a file name.
    throw new RepriseError('RPR_CONFIG_INVALID', `"${value}" ends with a rate suffix, but ${definition.name} takes no rate (|N, |N%)`, {
      plugin: definition.name,
      file: where,
    });
  }
  if (definition.value && (value === undefined || value === '')) {
    throw new RepriseError(
      'RPR_CONFIG_INVALID',
      `needs a value: ${definition.value.description} (e.g. --${definition.name} ${definition.value.example})`,
      { plugin: definition.name, file: where },
    );
  }
  let options: Record<string, unknown>;
  try {
    options = validateOptions(definition, item.options ?? {}, where) as Record<string, unknown>;
  } catch (error) {
    // Name the package too: the user has to know which plugin's options are wrong.
    const packageName = catalog.entries.get(definition.name)?.packageName;
    if (!(error instanceof RepriseError) || !packageName) throw error;
    throw new RepriseError(error.code, `${error.detail} (an option of ${definition.name}, from ${packageName})`, {
      plugin: definition.name,
      option: error.option,
      file: where,
    });
  }
  return { definition, value, rate, options };
}

const RATE_SUFFIX = /\|\s*\d+(\.\d+)?%?\s*$/;

function dropUndefined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as T;
}
