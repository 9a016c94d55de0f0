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
  examples?: unknown[];
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  format?: 'duration' | 'size' | string;
  pattern?: string;
  items?: { type: 'string' | 'integer' | 'number'; pattern?: string };
  /** The whole flag name when it is not `<component>-<option>` (GoReplay's `--http-original-host`). */
  'x-flag'?: string;
  /** Hidden from --help (still accepted). */
  'x-hidden'?: boolean;
}

export interface OptionsSchema {
  type: 'object';
  properties: Record<string, OptionSchema>;
  required?: string[];
  additionalProperties?: false;
}

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
  /** Middleware only: lower runs first (modifiers 10, external middleware 20, scripts 30). */
  order?: number;
  /**
   * Options this component switches on in other components of the same pipeline, by name
   * (GoReplay's `--output-http-elasticsearch` implies `--output-http-track-response`).
   */
  implies?: Array<{ component: string; options: Record<string, unknown>; reason: string }>;
  options: OptionsSchema;
  create(
    value: string | undefined,
    options: Readonly<O>,
    ctx: PluginContext,
  ): InstanceOf<K> | Promise<InstanceOf<K>>;
}

export type AnyComponentDefinition = ComponentDefinition<ComponentKind, any>;

export function defineInput<O>(definition: ComponentDefinition<'input', O>): ComponentDefinition<'input', O> {
  return definition;
}

export function defineOutput<O>(definition: ComponentDefinition<'output', O>): ComponentDefinition<'output', O> {
  return definition;
}

export function defineMiddleware<O>(
  definition: ComponentDefinition<'middleware', O>,
): ComponentDefinition<'middleware', O> {
  return definition;
}
