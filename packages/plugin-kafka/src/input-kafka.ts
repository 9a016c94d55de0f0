/**
 * `--input-kafka-host/-topic/-json-format`: messages read from every partition of a Kafka topic, as
 * GoReplay's input does (no consumer group, from the newest offset unless told otherwise), as fast as
 * they arrive; a record that is not a GoReplay message is counted and skipped.
 */
import { defineInput, type InputInstance, type Message, type OptionsOf, type OptionsSchema, type PluginContext } from '@reprise/core';
import { Consumer } from '@platformatic/kafka';
import { kafkaClientSettings, kafkaOptionsSchema } from './kafka-options.js';
import { fromKafkaValue } from './kafka-message.js';
import { describeKafkaError, unreachable } from './kafka-errors.js';

/** How long a fetch waits at the broker for new records: also how soon a stop is noticed. */
const FETCH_WAIT_MS = 500;
const PARTITION_MAX_BYTES = 4 * 1024 * 1024;

const shared = kafkaOptionsSchema('read');
const schema = {
  ...shared,
  properties: {
    ...shared.properties,
    offset: {
      type: 'string',
      enum: ['newest', 'oldest'],
      default: 'newest',
      description:
        'Where to start in each partition: only messages produced from now on (newest, as GoReplay 1.3), or everything the topic holds (oldest)',
      examples: ['oldest'],
    },
  },
} as const satisfies OptionsSchema;

export type InputKafkaOptions = OptionsOf<typeof schema>;

export const inputKafka = defineInput({
  kind: 'input',
  name: 'input-kafka',
  enabledBy: 'options',
  summary: "Read messages from every partition of a Kafka topic, in GoReplay's raw or JSON format (as --output-kafka writes them)",
  rate: 'core',
  options: schema,
  async create(_value, options, ctx) {
    const settings = await kafkaClientSettings(options, 'input-kafka');
    const consumer = new Consumer({ clientId: 'reprise', groupId: 'reprise', ...settings });
    const topic = options.topic;
    try {
      const metadata = await consumer.metadata({ topics: [topic] });
      const partitions = metadata.topics.get(topic)?.partitions ?? [];
      const offsets =
        (await consumer.listOffsets({ topics: [topic], timestamp: options.offset === 'oldest' ? -2n : -1n })).get(topic) ?? [];
      const positions = partitions.map((p, index) => ({ partition: index, leader: p.leader, offset: offsets[index] ?? 0n }));
      return new KafkaReader(consumer, topic, positions, options, ctx);
    } catch (error) {
      await consumer.close().catch(() => {});
      throw unreachable(error, options, 'input-kafka');
    }
  },
});

interface PartitionPosition {
  partition: number;
  leader: number;
  /** The next offset to read. */
  offset: bigint;
}

class KafkaReader implements InputInstance {
  private isClosed = false;
  private lastLogMs = 0;

  constructor(
    private readonly consumer: Consumer,
    private readonly topic: string,
    private readonly positions: PartitionPosition[],
    private readonly options: Readonly<InputKafkaOptions>,
    private readonly ctx: PluginContext,
  ) {}

  async *read(): AsyncIterable<Message[]> {
    const leaders = [...new Set(this.positions.map((p) => p.leader))];
    while (!this.isClosed && !this.ctx.signal.aborted) {
      for (const leader of leaders) {
        const batch = await this.fetchFrom(leader);
        if (batch.length > 0) yield batch;
        if (this.isClosed || this.ctx.signal.aborted) return;
      }
    }
  }

  async close(): Promise<void> {
    this.isClosed = true;
    await this.consumer.close(true);
  }

  /** One fetch from a broker for the partitions it leads; what it returns, decoded. */
  private async fetchFrom(leader: number): Promise<Message[]> {
    const positions = this.positions.filter((p) => p.leader === leader);
    let response: Awaited<ReturnType<Consumer['fetch']>>;
    try {
      response = await this.consumer.fetch({
        node: leader,
        maxWaitTime: FETCH_WAIT_MS,
        minBytes: 1,
        maxBytes: PARTITION_MAX_BYTES * positions.length,
        topics: [
          {
            topicId: this.topic,
            partitions: positions.map((p) => ({
              partition: p.partition,
              currentLeaderEpoch: -1,
              fetchOffset: p.offset,
              lastFetchedEpoch: -1,
              partitionMaxBytes: PARTITION_MAX_BYTES,
            })),
          },
        ],
      });
    } catch (error) {
      if (this.isClosed) return [];
      // A broker that went away: say so (once a second), wait a fetch's time, try again.
      this.ctx.stats.add('fetch-errors');
      this.logLimited(`fetching from ${this.topic} failed: ${describeKafkaError(error)}`);
      await new Promise((resolve) => setTimeout(resolve, FETCH_WAIT_MS));
      return [];
    }
    const out: Message[] = [];
    for (const part of response.responses[0]?.partitions ?? []) {
      const position = positions.find((p) => p.partition === part.partitionIndex);
      if (!position) continue;
      for (const recordBatch of part.records ?? []) {
        for (const record of recordBatch.records) {
          const offset = recordBatch.firstOffset + BigInt(record.offsetDelta);
          if (offset < position.offset) continue; // a batch may start before the offset asked for
          position.offset = offset + 1n;
          const decoded = fromKafkaValue(record.value ?? Buffer.alloc(0), this.options.jsonFormat);
          if (decoded.message) {
            out.push(decoded.message);
          } else {
            this.ctx.stats.add('failed');
            this.ctx.stats.add('corrupt');
            this.logLimited(`${this.topic} partition ${position.partition} offset ${offset}: ${decoded.error}`);
          }
        }
      }
    }
    return out;
  }

  private logLimited(line: string): void {
    const now = Date.now();
    if (now - this.lastLogMs < 1000) return;
    this.lastLogMs = now;
    this.ctx.logger.error(line);
  }
}
