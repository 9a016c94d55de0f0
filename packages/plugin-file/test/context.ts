/** A real PluginContext for driving components directly in tests: logs and counters are recorded. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { InputInstance, Message, PluginContext, Rate } from '@reprise/core';

export interface TestPluginContext extends PluginContext {
  readonly logs: Array<{ level: string; message: string }>;
  readonly counters: Map<string, number>;
  readonly emitted: Message[];
  readonly controller: AbortController;
}

export function makeContext(component: string, rate?: Rate): TestPluginContext {
  const logs: Array<{ level: string; message: string }> = [];
  const counters = new Map<string, number>();
  const emitted: Message[] = [];
  const controller = new AbortController();
  const log = (level: string) => (message: string) => logs.push({ level, message });
  return {
    component,
    instance: component,
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    stats: { add: (counter, n = 1) => counters.set(counter, (counters.get(counter) ?? 0) + n) },
    signal: controller.signal,
    rate,
    emit: (batch) => emitted.push(...batch),
    logs,
    counters,
    emitted,
    controller,
  };
}

/** A fresh temporary directory removed after the test. */
export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'reprise-file-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Every batch an input yields, with the time (ms since the read started) each batch came out. */
export async function drain(input: InputInstance): Promise<{ messages: Message[]; batches: number; times: number[] }> {
  const messages: Message[] = [];
  const times: number[] = [];
  const start = performance.now();
  let batches = 0;
  for await (const batch of input.read()) {
    batches++;
    const at = performance.now() - start;
    for (const message of batch) {
      messages.push(message);
      times.push(at);
    }
  }
  return { messages, batches, times };
}

export function request(n: number, timestamp: bigint, body = `GET /r/${n} HTTP/1.1\r\nHost: example\r\n\r\n`): Message {
  return { kind: 'request', id: n.toString(16).padStart(24, '0'), timestamp, latency: 0n, payload: Buffer.from(body) };
}
