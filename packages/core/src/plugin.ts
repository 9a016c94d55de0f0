/**
 * The plugin contract: every public type a plugin author needs, in one file.
 * A component is one input, output or middleware; a plugin package provides one or more.
 */
import type { Message } from './message.js';

export type ComponentKind = 'input' | 'output' | 'middleware';

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A line the user's own code wrote (a middleware script's console.log): shown at every log level, even with --quiet. */
  print(message: string): void;
}

/** Counters shown by `--stats` and in the exit summary, per component instance. */
export interface PluginStats {
  /**
   * Adds `n` (default 1) to a counter. The core counts `in`, `out` and `dropped` at the queues;
   * a plugin counts `failed` (a 5xx, a reset, a corrupt record) and any counter of its own
   * (`kernel-dropped`, `gaps`, …): every name it uses is shown.
   */
  add(counter: string, n?: number): void;
}

/** GoReplay's rate suffix on a component's value: `|100` (per second) or `|50%`. */
export type Rate = { kind: 'per-second'; value: number } | { kind: 'percent'; value: number };

export interface PluginContext {
  /** The component's name, e.g. `output-http`. */
  readonly component: string;
  /** A label for this instance, e.g. `output-http http://127.0.0.1:8082`. */
  readonly instance: string;
  readonly logger: Logger;
  readonly stats: PluginStats;
  /** Aborted when the pipeline stops (signal, --exit-after, or a fatal error). */
  readonly signal: AbortSignal;
  /** The rate suffix, for components whose definition says `rate: 'plugin'`. */
  readonly rate?: Rate;
  /**
   * Middleware only: whether an output of this pipeline sends replayed responses back (output-http with
   * track-response). Outputs are created first, so it is known in `create`; undefined outside a pipeline.
   */
  readonly outputsTrackResponses?: boolean;
  /**
   * True with --recognize-tcp-sessions: messages whose ids share `sessionKeyOf(id)` are one TCP session,
   * whose requests an output should send in order on one connection.
   */
  readonly sessions?: boolean;
  /**
   * Puts messages back into the pipeline. From an output (replayed responses): they enter the
   * middleware chain at its start and reach every output. From a middleware: they continue after it.
   */
  emit(batch: Message[]): void;
}

export interface InputInstance {
  /** Batches of messages in order. Ends when the source is exhausted or `ctx.signal` aborts. */
  read(): AsyncIterable<Message[]>;
  /**
   * A live source (packet capture) cannot be paused: when an output's queue is full, messages
   * for that output are dropped and counted. Recorded sources are paced by their outputs instead.
   */
  readonly isLive?: boolean;
  close?(): Promise<void>;
}

export interface MiddlewareInstance {
  /** Returns the batch transformed: changed, filtered or amplified. Called in order, one batch at a time. */
  process(batch: Message[]): Message[] | Promise<Message[]>;
  /** Called once the inputs have ended: deliver (via ctx.emit) anything still held. */
  flush?(): Promise<void>;
  close?(): Promise<void>;
}

export interface OutputInstance {
  /**
   * Takes a batch. Resolve when ready for more (not necessarily delivered): that is the backpressure.
   * Per-message failures are counted in `failed`, never thrown; a throw stops the pipeline.
   */
  write(batch: readonly Message[]): void | Promise<void>;
  /** Resolves when everything given to `write` has been delivered or counted. */
  flush?(): Promise<void>;
  close?(): Promise<void>;
  /** True when this output calls ctx.emit (e.g. output-http tracking responses): it is drained first. */
  readonly emitsMessages?: boolean;
}

export type InstanceOf<K extends ComponentKind> = K extends 'input'
  ? InputInstance
  : K extends 'output'
    ? OutputInstance
    : MiddlewareInstance;

/**
 * One option in a component's JSON Schema. The property name is camelCase (`trackResponse`);
 * its flag is `--<component>-<kebab-case>` (`--output-http-track-response`) unless `x-flag` names it.
 * `format: 'duration'` ("10s") and `format: 'size'` ("32mb") are checked by the core.
 */
export interface OptionSchema {
  type: 'string' | 'integer' | 'number' | 'boolean' | 'array';
  description: string;
  /** Shown in --help, e.g. `--output-http-workers 64`. */
  examples?: readonly unknown[];
  default?: unknown;
  enum?: readonly unknown[];
  minimum?: number;
  maximum?: number;
  format?: 'duration' | 'size' | string;
  pattern?: string;
  items?: { type: 'string' | 'integer' | 'number'; pattern?: string; enum?: readonly unknown[] };
  /** The whole flag name when it is not `<component>-<option>` (GoReplay's `--http-original-host`). */
  'x-flag'?: string;
  /**
   * With `x-flag`: the flag is shared by every component that declares it `x-shared`. It sets the option
   * on each of them the command line uses, and switches none on by itself (GoReplay's `--kafka-tls-*`,
   * for both the Kafka input and output).
   */
  'x-shared'?: boolean;
  /** Hidden from --help (still accepted). */
  'x-hidden'?: boolean;
}

export interface OptionsSchema {
  type: 'object';
  properties: Record<string, OptionSchema>;
  required?: readonly string[];
  additionalProperties?: false;
}

/** The TypeScript type of one option's value, derived from its schema. */
type OptionValueOf<P> = P extends { enum: readonly (infer E)[] }
  ? E
  : P extends { type: 'string' }
    ? string
    : P extends { type: 'integer' | 'number' }
      ? number
      : P extends { type: 'boolean' }
        ? boolean
        : P extends { type: 'array'; items: { type: 'integer' | 'number' } }
          ? number[]
          : P extends { type: 'array' }
            ? string[]
            : unknown;

type RequiredNames<S extends OptionsSchema> = S['required'] extends readonly (infer R)[] ? R : never;
/** An option always has a value after validation when it has a default or is required. */
type IsAlwaysSet<S extends OptionsSchema, K> = S['properties'][K & string] extends { default: unknown }
  ? true
  : K extends RequiredNames<S>
    ? true
    : false;

/**
 * The validated options a component receives, derived from its JSON Schema, so an author writes the
 * schema once: options with a default (or required) are always set, the others may be undefined.
 */
export type OptionsOf<S extends OptionsSchema> = {
  readonly [K in keyof S['properties'] as IsAlwaysSet<S, K> extends true ? K : never]: OptionValueOf<S['properties'][K]>;
} & {
  readonly [K in keyof S['properties'] as IsAlwaysSet<S, K> extends true ? never : K]?: OptionValueOf<S['properties'][K]>;
};

export interface ComponentDefinition<K extends ComponentKind = ComponentKind, O = Record<string, unknown>> {
  kind: K;
  /** GoReplay-style name; also the flag: `output-http` → `--output-http <value>`. */
  name: string;
  /** One line for --help. */
  summary: string;
  /**
   * The component's main flag value (an address, a path, a command). When absent, the component
   * has no main flag and is enabled by setting any of its options (like the `http` modifiers).
   */
  value?: {
    description: string;
    example: string;
    /** One word for --help's `--name <placeholder>`, e.g. `url`, `path`, `port` (default `value`). */
    placeholder?: string;
  };
  /**
   * For a component without `value`: switched on by its bare flag (`--output-stdout`, the default),
   * or only by giving any of its options (`options`: GoReplay's `--http-*` modifiers have no `--http`).
   */
  enabledBy?: 'flag' | 'options';
  /**
   * Who applies the `|N` / `|N%` suffix: `core` (default: the core limits or samples the messages
   * reaching this component), `plugin` (the plugin reads ctx.rate: input-file's replay speed),
   * `none` (a suffix is an error).
   */
  rate?: 'core' | 'plugin' | 'none';
  /** Middleware only: lower runs first (prettify-http 5, modifiers 10, external middleware 20, scripts 30). */
  order?: number;
  /**
   * Options this component switches on in other components of the same pipeline, by name
   * (GoReplay's `--output-http-elasticsearch` implies `--output-http-track-response`).
   */
  implies?: Array<{ component: string; options: Record<string, unknown>; reason: string }>;
  options: OptionsSchema;
  create(value: string | undefined, options: Readonly<O>, ctx: PluginContext): InstanceOf<K> | Promise<InstanceOf<K>>;
}

// biome-ignore lint/suspicious/noExplicitAny: any definition, whatever its options type (create's parameter makes it invariant)
export type AnyComponentDefinition = ComponentDefinition<ComponentKind, any>;

/**
 * What can be known of a component without importing its code: everything but `create`. Plugin
 * packages ship these in `reprise.manifest.json`, so listing and --help never import a plugin.
 */
export type ComponentDescription = Omit<AnyComponentDefinition, 'create'>;

/** A definition whose options type is derived from its schema (no separate interface to keep in step). */
type DefinitionFromSchema<K extends ComponentKind, S extends OptionsSchema> = Omit<ComponentDefinition<K, OptionsOf<S>>, 'options'> & {
  options: S;
};

export function defineInput<const S extends OptionsSchema>(
  definition: DefinitionFromSchema<'input', S>,
): ComponentDefinition<'input', OptionsOf<S>>;
export function defineInput<O>(definition: ComponentDefinition<'input', O>): ComponentDefinition<'input', O>;
export function defineInput(definition: AnyComponentDefinition): AnyComponentDefinition {
  return definition;
}

export function defineOutput<const S extends OptionsSchema>(
  definition: DefinitionFromSchema<'output', S>,
): ComponentDefinition<'output', OptionsOf<S>>;
export function defineOutput<O>(definition: ComponentDefinition<'output', O>): ComponentDefinition<'output', O>;
export function defineOutput(definition: AnyComponentDefinition): AnyComponentDefinition {
  return definition;
}

export function defineMiddleware<const S extends OptionsSchema>(
  definition: DefinitionFromSchema<'middleware', S>,
): ComponentDefinition<'middleware', OptionsOf<S>>;
export function defineMiddleware<O>(definition: ComponentDefinition<'middleware', O>): ComponentDefinition<'middleware', O>;
export function defineMiddleware(definition: AnyComponentDefinition): AnyComponentDefinition {
  return definition;
}
