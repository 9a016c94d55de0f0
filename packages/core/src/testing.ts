/**
 * For testing components: a real PluginContext that records what the component does (counters,
 * log lines, emitted messages), so a test drives the component exactly as the pipeline would.
 */
import type { Message } from './message.js';
import { validateOptions } from './options.js';
import type { ComponentDefinition, ComponentKind, PluginContext, Rate } from './plugin.js';

export interface RecordingContext extends PluginContext {
  readonly counters: Map<string, number>;
  /** `print`: a line the user's own code wrote (shown whatever the level). */
  readonly logs: Array<{ level: 'debug' | 'info' | 'warn' | 'error' | 'print'; message: string }>;
  readonly emitted: Message[];
  /** Aborting it is what a stop (signal, --exit-after) does to the component. */
  readonly controller: AbortController;
}

export function createRecordingContext(
  component: string,
  options: { rate?: Rate; instance?: string; outputsTrackResponses?: boolean; sessions?: boolean } = {},
): RecordingContext {
  const counters = new Map<string, number>();
  const logs: RecordingContext['logs'] = [];
  const emitted: Message[] = [];
  const controller = new AbortController();
  const log = (level: RecordingContext['logs'][number]['level']) => (message: string) => logs.push({ level, message });
  return {
    component,
    instance: options.instance ?? component,
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), print: log('print') },
    stats: { add: (counter, n = 1) => counters.set(counter, (counters.get(counter) ?? 0) + n) },
    signal: controller.signal,
    rate: options.rate,
    outputsTrackResponses: options.outputsTrackResponses,
    sessions: options.sessions,
    emit: (batch) => emitted.push(...batch),
    counters,
    logs,
    emitted,
    controller,
  };
}

/**
 * Options as the pipeline hands them to `create`: validated against the component's schema, with its
 * defaults applied, typed as the component's options. Throws the same error a bad flag would.
 */
export function validatedOptions<O>(definition: ComponentDefinition<ComponentKind, O>, options: Record<string, unknown> = {}): Readonly<O> {
  return validateOptions(definition, options) as Readonly<O>;
}
