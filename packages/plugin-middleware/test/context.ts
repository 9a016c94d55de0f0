// A real PluginContext for driving components in tests: counters and log lines are recorded.
import type { Message, PluginContext } from '@reprise/core';

export interface RecordingContext extends PluginContext {
  counters: Map<string, number>;
  lines: Array<{ level: string; text: string }>;
  emitted: Message[];
}

export function recordingContext(component: string): RecordingContext {
  const counters = new Map<string, number>();
  const lines: Array<{ level: string; text: string }> = [];
  const emitted: Message[] = [];
  const log = (level: string) => (text: string) => lines.push({ level, text });
  return {
    component,
    instance: component,
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    stats: { add: (name: string, n = 1) => counters.set(name, (counters.get(name) ?? 0) + n) },
    signal: new AbortController().signal,
    emit: (batch: Message[]) => emitted.push(...batch),
    counters,
    lines,
    emitted,
  };
}

let counter = 0;

export function request(text: string, id?: string): Message {
  counter++;
  return {
    kind: 'request',
    id: id ?? counter.toString(16).padStart(24, '0'),
    timestamp: 1_700_000_000_000_000_000n + BigInt(counter),
    latency: 0n,
    payload: Buffer.from(text.replace(/\n/g, '\r\n'), 'utf8'),
  };
}

export function response(kind: 'response' | 'replayed-response', id: string, text: string): Message {
  counter++;
  return { kind, id, timestamp: 1_700_000_000_000_000_000n + BigInt(counter), latency: 0n, payload: Buffer.from(text.replace(/\n/g, '\r\n'), 'utf8') };
}

export function text(m: Message): string {
  return Buffer.from(m.payload).toString('utf8').replace(/\r\n/g, '\n');
}
