/** `--output-kafka-host/-topic/-json-format`: messages produced to a Kafka topic, keyed by TCP connection. */
import { defineOutput, type Message, type OutputInstance, type PluginContext } from '@reprise/core';
import { ProduceAcks, Producer } from '@platformatic/kafka';
import { kafkaClientSettings, kafkaOptionsSchema, type KafkaOptions } from './kafka-options.js';
import { toKafkaRecord } from './kafka-message.js';
import { describeKafkaError, unreachable } from './kafka-errors.js';

export const outputKafka = defineOutput({
  kind: 'output',
  name: 'output-kafka',
  enabledBy: 'options',
  summary:
    'Produce every message to a Kafka topic, as GoReplay does: raw GoReplay messages or its JSON format, keyed by TCP connection ' +
    '(the first 16 hex digits of the id) so a connection stays on one partition, in order',
  rate: 'core',
  options: kafkaOptionsSchema('write'),
  async create(_value, options, ctx) {
    const settings = await kafkaClientSettings(options, 'output-kafka');
    const producer = new Producer({
      clientId: 'reprise',
      ...settings,
      acks: ProduceAcks.LEADER,
      idempotent: false,
      autocreateTopics: true,
    });
    try {
      // GoReplay stops at start when the brokers cannot be reached: so does reprise, with the reason.
      await producer.metadata({ topics: [options.topic], autocreateTopics: true });
    } catch (error) {
      await producer.close().catch(() => {});
      throw unreachable(error, options, 'output-kafka');
    }
    return new KafkaWriter(producer, options, ctx);
  },
});

class KafkaWriter implements OutputInstance {
  private lastLogMs = 0;

  constructor(
    private readonly producer: Producer,
    private readonly options: Readonly<KafkaOptions>,
    private readonly ctx: PluginContext,
  ) {}

  async write(batch: Message[]): Promise<void> {
    const { topic, jsonFormat } = this.options;
    const messages = batch.map((message) => ({ topic, ...toKafkaRecord(message, jsonFormat) }));
    try {
      await this.producer.send({ messages });
      this.ctx.stats.add('produced', messages.length);
    } catch (error) {
      // A broker that is down or refuses a batch loses that batch, counted; the run goes on.
      this.ctx.stats.add('failed', messages.length);
      const now = Date.now();
      if (now - this.lastLogMs >= 1000) {
        this.lastLogMs = now;
        this.ctx.logger.error(`producing ${messages.length} messages to ${topic} failed: ${describeKafkaError(error)}`);
      }
    }
  }

  async close(): Promise<void> {
    await this.producer.close();
  }
}
