import { defineInput, newMessageId, nowNanoseconds, parseDurationMs, type Message } from '@reprise/core';

const encoder = new TextEncoder();

/** A request as a real client would send it; every fifth one a POST with a JSON body. */
export function dummyRequest(sequence: number): Uint8Array {
  if (sequence % 5 === 4) {
    const body = JSON.stringify({ sequence, note: 'reprise dummy' });
    return encoder.encode(
      `POST /dummy/items HTTP/1.1\r\nHost: localhost\r\nUser-Agent: reprise-dummy\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  return encoder.encode(`GET /dummy/${sequence} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: reprise-dummy\r\nAccept: */*\r\n\r\n`);
}

export const inputDummy = defineInput({
  kind: 'input',
  name: 'input-dummy',
  summary: 'Generate requests, to try a pipeline without traffic.',
  value: { placeholder: 'count', description: 'how many requests to generate (0 = endless)', example: '0' },
  options: {
    type: 'object',
    properties: {
      interval: {
        type: 'string',
        format: 'duration',
        default: '10ms',
        description: 'Time between generated requests; 0 generates as fast as the outputs accept.',
        examples: ['1ms'],
      },
      batchSize: {
        type: 'integer',
        minimum: 1,
        default: 256,
        description: 'Requests per batch when generating without interval.',
        examples: [1024],
        'x-hidden': true,
      },
    },
  },
  create(value, options, ctx) {
    const count = Number(value);
    if (!Number.isInteger(count) || count < 0) throw new Error(`the count must be a whole number ≥ 0 (0 = endless), not "${value}"`);
    const intervalMs = parseDurationMs(options.interval, 'input-dummy-interval');
    return {
      async *read(): AsyncIterable<Message[]> {
        let sequence = 0;
        const isDone = () => ctx.signal.aborted || (count > 0 && sequence >= count);
        while (!isDone()) {
          const size = intervalMs > 0 ? 1 : options.batchSize;
          const batch: Message[] = [];
          for (let i = 0; i < size && !(count > 0 && sequence >= count); i++) {
            batch.push({
              kind: 'request',
              id: newMessageId(),
              timestamp: nowNanoseconds(),
              latency: 0n,
              payload: dummyRequest(sequence++),
            });
          }
          yield batch;
          if (intervalMs > 0 && !isDone()) await sleep(intervalMs, ctx.signal);
        }
      },
    };
  },
});

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
