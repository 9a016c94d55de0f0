/** @reprise/plugin-kafka: GoReplay's Kafka input and output. */
import type { AnyComponentDefinition } from '@reprise/core';
import { inputKafka } from './input-kafka.js';
import { outputKafka } from './output-kafka.js';

export { inputKafka, outputKafka };
export { toKafkaRecord, fromKafkaValue, toGoReplayJson, connectionKey } from './kafka-message.js';

const components: AnyComponentDefinition[] = [inputKafka, outputKafka];
export default components;
