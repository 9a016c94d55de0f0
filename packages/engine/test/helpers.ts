import { defineInput, defineMiddleware, defineOutput, type Message, type OutputInstance } from '@reprise/core';

let sequence = 0;
export function request(path = '/'): Message {
  const n = sequence++;
  return {
    kind: 'request',
    id: n.toString(16).padStart(24, '0'),
    timestamp: 1_700_000_000_000_000_000n + BigInt(n),
    latency: 0n,
    payload: new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`),
  };
}

/** An input that yields the given batches, optionally live, optionally until aborted. */
export function arrayInput(batches: Message[][], opts: { isLive?: boolean; untilAborted?: boolean } = {}) {
  return defineInput({
    kind: 'input',
    name: 'input-array',
    summary: 'test input',
    options: { type: 'object', properties: {} },
    create(_value, _options, ctx) {
      return {
        isLive: opts.isLive,
        async *read() {
          for (const batch of batches) {
            if (ctx.signal.aborted) return;
            yield batch;
            await new Promise((r) => setImmediate(r));
          }
          if (opts.untilAborted && !ctx.signal.aborted) await new Promise((r) => ctx.signal.addEventListener('abort', r));
        },
      };
    },
  });
}

/** An output that records what it receives, optionally slowly. */
export function collectingOutput(name = 'output-collect', delayMs = 0, extra: Partial<OutputInstance> = {}) {
  const received: Message[] = [];
  const definition = defineOutput({
    kind: 'output',
    name,
    summary: 'test output',
    options: { type: 'object', properties: {} },
    create() {
      return {
        ...extra,
        async write(batch) {
          if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
          received.push(...batch);
        },
      };
    },
  });
  return { definition, received };
}

export function mapMiddleware(fn: (m: Message) => Message[]) {
  return defineMiddleware({
    kind: 'middleware',
    name: 'middleware-map',
    summary: 'test middleware',
    options: { type: 'object', properties: {} },
    create() {
      return { process: (batch) => batch.flatMap(fn) };
    },
  });
}
