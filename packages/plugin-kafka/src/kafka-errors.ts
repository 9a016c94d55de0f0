/** Kafka client errors as reprise errors and log lines. */
import { RepriseError } from '@reprise/core';
import type { KafkaOptions } from './kafka-options.js';

/** The brokers or the topic could not be reached at start: an environment problem (exit code 4), naming the brokers and topic. */
export function unreachable(error: unknown, options: Readonly<KafkaOptions>, plugin: string): RepriseError {
  return new RepriseError(
    'RPR_STORAGE_UNAVAILABLE',
    `cannot use topic ${options.topic} on the Kafka brokers ${options.host}: ${describeKafkaError(error)}`,
    {
      plugin,
      option: 'host',
      phase: 'create',
      cause: error,
    },
  );
}

/** The library's error with the last of the errors it gathered over its retries, in a line. */
export function describeKafkaError(error: unknown): string {
  const inner = (error as { errors?: unknown[] })?.errors;
  const last = Array.isArray(inner) && inner.length > 0 ? inner[inner.length - 1] : undefined;
  const message = (error as Error)?.message ?? String(error);
  return last ? `${message} (${describeKafkaError(last)})` : message;
}
