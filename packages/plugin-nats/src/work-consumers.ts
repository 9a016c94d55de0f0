/**
 * The durable pull consumers workers share: one per partition with at most one message in flight
 * (session affinity: a session's requests in order), or one over the whole stream. Created if missing;
 * an existing consumer keeps its configuration.
 */
import { AckPolicy, DeliverPolicy, type JetStreamManager } from '@nats-io/jetstream';
import type { ServiceNames } from './service-names.js';

export interface WorkConsumer {
  name: string;
  /** The partition it serves, or undefined for the shared consumer. */
  partition?: number;
  maxAckPending: number;
}

/** Unacknowledged messages the shared consumer allows over all workers (each worker also keeps its own cap). */
export const SHARED_MAX_ACK_PENDING = 8192;

export function workConsumers(names: ServiceNames, partitions: number, isSessionAffinity: boolean): WorkConsumer[] {
  if (!isSessionAffinity) return [{ name: names.sharedConsumer, maxAckPending: SHARED_MAX_ACK_PENDING }];
  return Array.from({ length: partitions }, (_, k) => ({ name: names.partitionConsumer(k), partition: k, maxAckPending: 1 }));
}

export async function ensureWorkConsumers(
  jsm: JetStreamManager,
  names: ServiceNames,
  consumers: WorkConsumer[],
  ackWaitMs: number,
): Promise<void> {
  for (const consumer of consumers) {
    try {
      await jsm.consumers.info(names.trafficStream, consumer.name);
      continue;
    } catch {
      // missing: create it
    }
    await jsm.consumers
      .add(names.trafficStream, {
        durable_name: consumer.name,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: consumer.partition === undefined ? names.trafficWildcard : names.trafficSubject(consumer.partition),
        max_ack_pending: consumer.maxAckPending,
        ack_wait: ackWaitMs * 1_000_000,
      })
      .catch(async (error) => {
        // another worker created it meanwhile
        await jsm.consumers.info(names.trafficStream, consumer.name).catch(() => {
          throw error;
        });
      });
  }
}
