/**
 * `--output-nats-results URL`: replayed responses (type 3, the request's id, latency, the worker in
 * `Reprise-Worker`) published to the service's results stream, where a consumer joins them with the
 * captured traffic by id. Publishing one settles its request in the worker's ledger (the ack).
 */
import { defineOutput, type Message } from '@reprise/core';
import { defaultAgentName } from './agent-name.js';
import { JetStreamPublisher } from './jetstream-publisher.js';
import { connectService, ensureStreams, natsServers, type ServiceConnection } from './nats-service.js';
import { publishableBody } from './publish-body.js';
import { DEFAULT_STREAM_LIMITS } from './output-nats.js';
import { serviceNames, serviceOption } from './service-names.js';
import { ledgerFor } from './work-ledger.js';
import { HEADER, metaHeaders } from './wire-format.js';

const COMPONENT = 'output-nats-results';
const RESULTS_WINDOW = 1024;
/** A result not acknowledged by then is counted failed; its request is redelivered after the response timeout. */
const ACK_TIMEOUT_MS = 10_000;

export const outputNatsResults = defineOutput({
  kind: 'output',
  name: COMPONENT,
  rate: 'none',
  summary: "Publish replayed responses to a NATS service's results stream (used by `reprise cluster run`)",
  value: { placeholder: 'url', description: 'NATS server URL(s), comma-separated', example: 'nats://127.0.0.1:4222' },
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      service: serviceOption(),
      worker: {
        type: 'string',
        pattern: '^[A-Za-z0-9_.-]{1,100}$',
        description: 'The worker named in each result (and whose requests are acknowledged)',
        examples: ['load-1'],
      },
    },
  },
  async create(value, options, ctx) {
    const url = value ?? '';
    natsServers(url, COMPONENT);
    const names = serviceNames(options.service, { plugin: COMPONENT, option: 'service' });
    const worker = options.worker ?? defaultAgentName();
    const conn: ServiceConnection = await connectService({
      url,
      service: options.service,
      plugin: COMPONENT,
      clientName: `reprise results ${worker}`,
    });
    await ensureStreams(conn, DEFAULT_STREAM_LIMITS);
    // plain publishes matched to their acks on one inbox (jetstream-publisher.ts: js.publish costs 6× the CPU)
    const publisher = new JetStreamPublisher(conn.nc, ACK_TIMEOUT_MS);
    const inFlight = new Set<Promise<void>>();

    const publishOne = async (message: Message) => {
      try {
        const { body, extra } = await publishableBody(conn, message);
        extra[HEADER.worker] = worker;
        await publisher.publish(names.resultsSubject, body, metaHeaders(message, extra));
        ctx.stats.add('published');
        ledgerFor(options.service, worker)?.settle(message.id);
      } catch (error) {
        // not settled: the request is redelivered after the response timeout
        ctx.stats.add('failed');
        ctx.logger.warn(`result ${message.id}: ${(error as Error).message}`);
      }
    };

    return {
      async write(batch) {
        for (const message of batch) {
          if (message.kind !== 'replayed-response') continue;
          // a bounded window of publishes awaiting their acks, rather than one batch at a time
          while (inFlight.size >= RESULTS_WINDOW) await Promise.race(inFlight);
          const p = publishOne(message);
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
        }
      },
      async flush() {
        await Promise.all(inFlight);
      },
      async close() {
        await Promise.all(inFlight);
        publisher.close();
        await conn.close();
      },
    };
  },
});
