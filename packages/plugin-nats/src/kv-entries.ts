/**
 * A KV bucket's keys under a filter with their current values, read from the bucket's stream: its
 * subjects, then each one's last value (deleted keys left out). Not `kv.keys()`: that listing, an
 * ordered consumer, could miss a key rewritten while it ran, deliver one twice, and waited without a
 * bound when a key expired under it; here every step is one request with its timeout.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';

export async function kvEntries(jsm: JetStreamManager, kv: KV, bucket: string, filter: string): Promise<Array<[string, string]>> {
  const prefix = `$KV.${bucket}.`;
  const info = await jsm.streams.info(`KV_${bucket}`, { subjects_filter: `${prefix}${filter}` });
  const keys = Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(prefix.length));
  const entries = await Promise.all(keys.map((key) => kv.get(key)));
  return entries.flatMap((entry) => (entry?.operation === 'PUT' ? [[entry.key, entry.string()] as [string, string]] : []));
}
