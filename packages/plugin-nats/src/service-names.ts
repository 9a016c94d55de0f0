/**
 * Where a service lives in NATS. One service name gives every stream, subject and bucket:
 *
 *   stream  REPRISE_<svc>          subjects reprise.<svc>.t.<partition>   captured traffic (types 1, 2)
 *   stream  REPRISE_<svc>_RESULTS  subject  reprise.<svc>.r               replayed responses (type 3)
 *   kv      REPRISE_<svc>                                                 run clock, partition count, agent counters
 *   kv      REPRISE_<svc>_LIVE     (entries expire after the lease time)  worker heartbeats, partition leases
 *   objects REPRISE_<svc>_BODIES                                          payloads over the server's max_payload
 */
import { RepriseError } from '@reprise/core';

export interface ServiceNames {
  service: string;
  trafficStream: string;
  resultsStream: string;
  /** `reprise.<svc>.t.<k>` */
  trafficSubject(partition: number): string;
  trafficWildcard: string;
  resultsSubject: string;
  stateBucket: string;
  liveBucket: string;
  bodiesBucket: string;
  /** The durable consumer of one partition (session affinity) or of the whole stream. */
  partitionConsumer(partition: number): string;
  sharedConsumer: string;
}

/** Partitions of a service when its first agent or worker does not say. */
export const DEFAULT_PARTITIONS = 16;

const SERVICE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The `service` option of every NATS component. */
export function serviceOption(description = 'Service name, as given to --output-nats-service') {
  return { type: 'string', default: 'default', pattern: SERVICE_PATTERN.source, description, examples: ['shop'] } as const;
}

export function serviceNames(service: string, where: { plugin: string; option: string }): ServiceNames {
  if (!SERVICE_PATTERN.test(service)) {
    throw new RepriseError(
      'RPR_CONFIG_INVALID',
      `service "${service}" must be 1-64 letters, digits, "_" or "-" (it names NATS streams and subjects; example: shop)`,
      where,
    );
  }
  const prefix = `reprise.${service}`;
  return {
    service,
    trafficStream: `REPRISE_${service}`,
    resultsStream: `REPRISE_${service}_RESULTS`,
    trafficSubject: (partition) => `${prefix}.t.${partition}`,
    trafficWildcard: `${prefix}.t.*`,
    resultsSubject: `${prefix}.r`,
    stateBucket: `REPRISE_${service}`,
    liveBucket: `REPRISE_${service}_LIVE`,
    bodiesBucket: `REPRISE_${service}_BODIES`,
    partitionConsumer: (partition) => `reprise-p${partition}`,
    sharedConsumer: 'reprise-work',
  };
}

/** The partition of a session key: FNV-1a, so every agent picks the same partition for a connection. */
export function partitionOf(sessionKey: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < sessionKey.length; i++) {
    hash ^= sessionKey.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}
