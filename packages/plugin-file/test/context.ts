/** Test helpers for driving the file components directly, with core's recording context. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { InputInstance, Message, Rate } from '@reprise/core';
import { createRecordingContext, type RecordingContext } from '@reprise/core/testing';

export type TestPluginContext = RecordingContext;

export function makeContext(component: string, rate?: Rate): TestPluginContext {
  return createRecordingContext(component, { rate });
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
