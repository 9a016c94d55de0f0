/**
 * `--input-nats URL`: a service's stream read back in stream order, from its first message to the
 * last one there when reading started (`--input-nats-follow` keeps reading), e.g. into a .gor file.
 */
import type { JsMsg } from '@nats-io/jetstream';
import { defineInput, RepriseError, type Message } from '@reprise/core';
import { connectService, natsServers } from './nats-service.js';
import { serviceNames, serviceOption } from './service-names.js';
import { storedMessage } from './stored-message.js';

const COMPONENT = 'input-nats';
const BATCH = 256;

export const inputNats = defineInput({
  kind: 'input',
  name: COMPONENT,
  summary: 'Read a NATS JetStream service stream (captured traffic or replay results) in order',
  value: { placeholder: 'url', description: 'NATS server URL(s), comma-separated', example: 'nats://127.0.0.1:4222' },
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      service: serviceOption(),
      stream: {
        type: 'string',
        enum: ['traffic', 'results'],
        default: 'traffic',
        description: 'Which stream: captured traffic (types 1, 2) or replayed responses from `reprise cluster run` (type 3)',
        examples: ['results'],
      },
      follow: {
        type: 'boolean',
        default: false,
        description: 'Keep reading messages published after the start (otherwise stop at the last one there at the start)',
        examples: [true],
      },
    },
  },
  create(value, options, ctx) {
    const url = value ?? '';
    natsServers(url, COMPONENT);
    const names = serviceNames(options.service, { plugin: COMPONENT, option: 'service' });
    const streamName = options.stream === 'results' ? names.resultsStream : names.trafficStream;
    let close = async () => {};
    return {
      async *read(): AsyncIterable<Message[]> {
        const conn = await connectService({ url, service: options.service, plugin: COMPONENT, clientName: 'reprise input-nats' });
        close = () => conn.close();
        let lastSeq: number;
        try {
          lastSeq = (await conn.jsm.streams.info(streamName)).state.last_seq;
        } catch (error) {
          throw new RepriseError(
            'RPR_INPUT_NOT_FOUND',
            `no stream ${streamName} on ${url} (is the service name right?): ${(error as Error).message}`,
            {
              plugin: COMPONENT,
              option: 'service',
            },
          );
        }
        if (!options.follow && lastSeq === 0) return;
        const consumer = await conn.js.consumers.get(streamName);
        const messages = await consumer.consume({ max_messages: 1024 });
        const onAbort = () => messages.stop();
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        let batch: Message[] = [];
        try {
          for await (const m of messages as AsyncIterable<JsMsg>) {
            batch.push(await storedMessage(conn, m, COMPONENT));
            const isLast = !options.follow && m.seq >= lastSeq;
            if (isLast || batch.length >= BATCH || m.info.pending === 0) {
              yield batch;
              batch = [];
            }
            if (isLast) break;
          }
          if (batch.length > 0) yield batch;
        } finally {
          ctx.signal.removeEventListener('abort', onAbort);
          messages.stop();
        }
      },
      close: () => close(),
    };
  },
});
