// A real PluginContext for tests: counters and log lines are recorded so tests can assert on them.
import type { Message } from '@reprise/core';
import { createRecordingContext, validatedOptions, type RecordingContext } from '@reprise/core/testing';
import { outputElasticsearch } from '../src/index.js';
import { toSettings, type ElasticsearchSettings } from '../src/options.js';

export type { RecordingContext };

/** Settings from options given as flags would give them: validated, the schema's defaults applied. */
export function settingsFor(options: Record<string, unknown> = {}, component = 'output-elasticsearch'): ElasticsearchSettings {
  return toSettings(validatedOptions(outputElasticsearch, options), component);
}

export function recordingContext(component = 'output-elasticsearch'): RecordingContext {
  return createRecordingContext(component, { instance: `${component} test` });
}

let nextId = 1;

export function newId(): string {
  return (nextId++).toString(16).padStart(24, '0');
}

const encoder = new TextEncoder();

export function requestMessage(id: string, head: string, options: { timestampMs?: number; body?: string } = {}): Message {
  const text = `${head.replace(/\n/g, '\r\n')}\r\n\r\n${options.body ?? ''}`;
  return {
    kind: 'request',
    id,
    timestamp: BigInt(options.timestampMs ?? Date.UTC(2026, 10, 26, 3, 0, 0)) * 1_000_000n,
    latency: 0n,
    payload: encoder.encode(text),
  };
}

export function responseMessage(
  id: string,
  kind: 'response' | 'replayed-response',
  head: string,
  options: { timestampMs?: number; latencyMs?: number; body?: string } = {},
): Message {
  const text = `${head.replace(/\n/g, '\r\n')}\r\n\r\n${options.body ?? ''}`;
  return {
    kind,
    id,
    timestamp: BigInt(options.timestampMs ?? Date.UTC(2026, 10, 26, 3, 0, 0)) * 1_000_000n,
    latency: BigInt(Math.round((options.latencyMs ?? 0) * 1e6)),
    payload: encoder.encode(text),
  };
}

/** Resolves when `check` holds, polling; rejects after `timeoutMs`. */
export async function eventually(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
