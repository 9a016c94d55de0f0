// Test helpers: core's recording context, and message builders.
import type { Message } from '@reprise/core';
import { createRecordingContext, type RecordingContext } from '@reprise/core/testing';

export type { RecordingContext };

export function recordingContext(component: string, options: { outputsTrackResponses?: boolean } = {}): RecordingContext {
  return createRecordingContext(component, options);
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
  return {
    kind,
    id,
    timestamp: 1_700_000_000_000_000_000n + BigInt(counter),
    latency: 0n,
    payload: Buffer.from(text.replace(/\n/g, '\r\n'), 'utf8'),
  };
}

export function text(m: Message): string {
  return Buffer.from(m.payload).toString('utf8').replace(/\r\n/g, '\n');
}
