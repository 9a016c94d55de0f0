/**
 * `--output-nats URL`: a capture agent's way into JetStream. Each message is published to its
 * service's traffic stream (subject chosen by the session's partition) with its dedup id; acks are
 * awaited in a bounded window, and what cannot be published is dropped and counted, or spilled to a
 * local .gor file: the pipeline is never blocked and memory never grows with an outage.
 */
import { defineOutput, parseDurationMs, parseSizeBytes, RepriseError, sessionKeyOf, type Message } from '@reprise/core';
import { defaultAgentName } from './agent-name.js';
import {
  connectService,
  ensureStreams,
  natsServers,
  sharedPartitions,
  type ServiceConnection,
  type ServiceLimits,
} from './nats-service.js';
import { JetStreamPublisher } from './jetstream-publisher.js';
import { PublishWindow } from './publish-window.js';
import { partitionOf, serviceOption } from './service-names.js';
import { SpillFile } from './spill-file.js';
import { isOverMaxPayload, publishableBody } from './publish-body.js';
import { metaHeaders } from './wire-format.js';

const COMPONENT = 'output-nats';

/** The limits of the streams an agent creates (workers that create them first use the defaults). */
const streamLimitOptions = {
  dedupWindow: {
    type: 'string',
    format: 'duration',
    default: '2m',
    description: 'Duplicate window of a stream this agent creates: a message re-published within it is stored once',
    examples: ['2m'],
  },
  maxAge: {
    type: 'string',
    format: 'duration',
    default: '24h',
    description: 'Retention of a stream this agent creates: older messages are deleted',
    examples: ['24h'],
  },
  maxBytes: {
    type: 'string',
    format: 'size',
    default: '1gb',
    description: 'Size limit of a stream this agent creates: the oldest messages are deleted beyond it',
    examples: ['10gb'],
  },
} as const;

/** The stream limits given by these options. */
function streamLimitsOf(options: { dedupWindow: string; maxAge: string; maxBytes: string }): ServiceLimits {
  return {
    dedupWindowMs: parseDurationMs(options.dedupWindow, 'dedupWindow'),
    maxAgeMs: parseDurationMs(options.maxAge, 'maxAge'),
    maxBytes: parseSizeBytes(options.maxBytes, 'maxBytes'),
  };
}

/** What a worker creating the streams before any agent uses: the agent's defaults. */
export const DEFAULT_STREAM_LIMITS: ServiceLimits = streamLimitsOf({
  dedupWindow: streamLimitOptions.dedupWindow.default,
  maxAge: streamLimitOptions.maxAge.default,
  maxBytes: streamLimitOptions.maxBytes.default,
});

export const outputNats = defineOutput({
  kind: 'output',
  name: COMPONENT,
  summary: 'Publish messages to a NATS JetStream service stream (capture agents)',
  value: { placeholder: 'url', description: 'NATS server URL(s), comma-separated', example: 'nats://127.0.0.1:4222' },
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      service: serviceOption('Service name: the stream is REPRISE_<service>, subjects reprise.<service>.t.<partition> (docs/CLUSTER.md)'),
      partitions: {
        type: 'integer',
        minimum: 1,
        maximum: 1024,
        default: 16,
        description: "Partitions a service's sessions are hashed into (the first agent of a service decides; later ones follow)",
        examples: [16, 64],
      },
      window: {
        type: 'integer',
        minimum: 1,
        maximum: 1_000_000,
        default: 65536,
        description:
          'Publishes awaiting their ack at once (with --output-nats-window-bytes, the bound on memory); when full, new messages are dropped or spilled (--output-nats-on-full)',
        examples: [65536],
      },
      windowBytes: {
        type: 'string',
        format: 'size',
        default: '64mb',
        description:
          'Bytes of the publishes awaiting their ack at once: the memory an agent holds for NATS (a larger message still goes alone)',
        examples: ['256mb'],
      },
      onFull: {
        type: 'string',
        enum: ['drop', 'spill', 'wait'],
        default: 'drop',
        description:
          'What happens to a message NATS cannot take now (window full, disconnected, publish failed): drop and count, append to --output-nats-spill, ' +
          'or wait for room (only for recorded inputs: a failed publish is still dropped)',
        examples: ['spill'],
      },
      spill: {
        type: 'string',
        description: 'The .gor file messages are spilled to with --output-nats-on-full spill',
        examples: ['/var/lib/reprise/spill.gor'],
      },
      ackTimeout: {
        type: 'string',
        format: 'duration',
        default: '2s',
        description: 'Time a publish may wait for its ack before it counts as failed',
        examples: ['2s'],
      },
      ...streamLimitOptions,
      countersInterval: {
        type: 'string',
        format: 'duration',
        default: '2s',
        description: "How often this agent's counters are written to the service's KV bucket (shown by `reprise cluster status`)",
        examples: ['5s'],
      },
      connectWait: {
        type: 'string',
        format: 'duration',
        default: '5s',
        description: 'How long the start waits for NATS; after it the pipeline runs and drops (or spills) until NATS is reachable',
        examples: ['0s', '30s'],
      },
      agent: {
        type: 'string',
        pattern: '^[A-Za-z0-9_.-]{1,100}$',
        description: "This agent's name in `reprise cluster status` (default: <host>-<pid>)",
        examples: ['node-a'],
      },
    },
  },
  async create(value, options, ctx) {
    const url = value ?? '';
    natsServers(url, COMPONENT);
    const ackTimeoutMs = parseDurationMs(options.ackTimeout, 'ackTimeout');
    const countersMs = parseDurationMs(options.countersInterval, 'countersInterval');
    if (options.onFull === 'spill' && !options.spill) {
      throw new RepriseError('RPR_CONFIG_INVALID', '--output-nats-on-full spill needs --output-nats-spill FILE.gor', {
        plugin: COMPONENT,
        option: 'spill',
      });
    }
    const spill =
      options.onFull === 'spill'
        ? new SpillFile(options.spill!, (e) => ctx.logger.error(`cannot write the spill file ${options.spill}: ${e.message}`))
        : undefined;
    const agent = options.agent ?? defaultAgentName();
    const counts = { published: 0, acked: 0, duplicates: 0, dropped: 0, spilled: 0, failed: 0 };
    let conn: ServiceConnection | undefined;
    let publisher: JetStreamPublisher | undefined;
    let partitions = options.partitions;
    let lastFailureLogMs = 0;
    // While a large body uploads, later publishes wait until it is published, so the stream keeps the capture's order.
    let ordering: Promise<void> | undefined;

    const window = new PublishWindow<Message>(options.window, parseSizeBytes(options.windowBytes, 'windowBytes'), (m) => m.payload.length, {
      publish: async (message) => {
        const c = conn!;
        const subject = c.names.trafficSubject(partitionOf(sessionKeyOf(message.id), partitions));
        counts.published++;
        const isLarge = isOverMaxPayload(c, message);
        const previous = ordering;
        let issued: (() => void) | undefined;
        if (isLarge) {
          const mine = new Promise<void>((resolve) => (issued = resolve));
          ordering = mine;
          void mine.then(() => {
            if (ordering === mine) ordering = undefined;
          });
        }
        let acked: Promise<{ duplicate: boolean }>;
        try {
          if (previous) await previous;
          const { body, extra, isStored } = await publishableBody(c, message);
          if (isStored) ctx.stats.add('object-stored');
          acked = publisher!.publish(subject, body, metaHeaders(message, extra));
        } finally {
          issued?.();
        }
        return acked;
      },
      overflow: (message, reason) => {
        if (spill) {
          spill.write(message);
          counts.spilled++;
          ctx.stats.add('spilled');
        } else {
          counts.dropped++;
          ctx.stats.add('nats-dropped');
        }
        if (reason === 'failed') counts.failed++;
      },
      onAck: (duplicate) => {
        counts.acked++;
        ctx.stats.add('acked');
        if (duplicate) {
          counts.duplicates++;
          ctx.stats.add('duplicates');
        }
      },
      onFailure: (error) => {
        ctx.stats.add('failed');
        const now = Date.now();
        if (now - lastFailureLogMs > 5000) {
          lastFailureLogMs = now;
          ctx.logger.warn(
            `publish failed (${(error as Error).message}); ${options.onFull === 'spill' ? 'spilling' : 'dropping'} until NATS acks again`,
          );
        }
      },
    });

    const writeCounters = () => {
      if (!conn || !window.isConnected) return Promise.resolve();
      const entry = JSON.stringify({ ...counts, pending: window.pending, atMs: Date.now() });
      return conn.state.put(`agent.${agent}`, entry).then(
        () => undefined,
        () => undefined,
      );
    };
    const timer = setInterval(() => void writeCounters(), countersMs);
    timer.unref();

    const closing = new AbortController();
    const ready = (async () => {
      const c = await connectService({
        url,
        service: options.service,
        plugin: COMPONENT,
        clientName: `reprise agent ${agent}`,
        retryUntil: closing.signal,
      });
      if (closing.signal.aborted) return void (await c.close());
      conn = c;
      publisher = new JetStreamPublisher(c.nc, ackTimeoutMs);
      await ensureStreams(c, streamLimitsOf(options));
      partitions = await sharedPartitions(c.state, options.partitions);
      window.isConnected = true;
      ctx.logger.info(`publishing to ${c.names.trafficStream} (${partitions} partitions) on ${url}`);
      void (async () => {
        for await (const status of c.nc.status()) {
          if (status.type === 'disconnect') {
            window.isConnected = false;
            ctx.logger.warn(`NATS disconnected: ${options.onFull === 'spill' ? 'spilling' : 'dropping'} until it is back`);
          } else if (status.type === 'reconnect') {
            window.isConnected = true;
            ctx.logger.info('NATS reconnected: publishing again');
          }
        }
      })();
    })().catch((error) => {
      if (closing.signal.aborted) return;
      ctx.logger.error(`cannot set up the NATS service ${options.service} on ${url}: ${(error as Error).message}`);
    });

    await Promise.race([ready, new Promise((resolve) => setTimeout(resolve, parseDurationMs(options.connectWait, 'connectWait')).unref())]);
    if (!window.isConnected)
      ctx.logger.warn(`NATS ${url} not reachable yet: ${options.onFull === 'spill' ? 'spilling' : 'dropping'} until it is`);
    return {
      async write(batch) {
        for (const message of batch) {
          if (options.onFull === 'wait') await window.room(message.payload.length);
          window.offer(message);
        }
      },
      async flush() {
        await window.idle();
        await writeCounters();
      },
      async close() {
        closing.abort();
        clearInterval(timer);
        await window.idle();
        await writeCounters();
        await spill?.close();
        publisher?.close();
        await conn?.close();
      },
    };
  },
});
