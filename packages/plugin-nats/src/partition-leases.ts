/**
 * Which worker owns which partition (session affinity), on nats-server 2.9: a lease is the KV key
 * `lease.<k>` in the service's live bucket, whose entries expire after the lease time unless renewed
 * (the bucket's max age: per-key TTLs need 2.11). Workers announce themselves as `worker.<name>` in the
 * same bucket; each aims at ceil(partitions / live workers) leases, claims free ones with a
 * create (atomic: one winner), renews its own with a compare-and-set, and gives back the extra ones
 * when more workers join. A dead worker's leases expire and the others claim them.
 */
import { JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { kvEntries } from './kv-entries.js';

export class PartitionLeases {
  /** Owned partition → revision of its lease entry. */
  private readonly owned = new Map<number, number>();

  constructor(
    private readonly live: KV,
    /** The live bucket's name and a manager for its stream: the live workers are read from the stream. */
    private readonly bucket: string,
    private readonly jsm: JetStreamManager,
    private readonly worker: string,
    private readonly partitions: number,
  ) {}

  get ownedPartitions(): number[] {
    return [...this.owned.keys()].sort((a, b) => a - b);
  }

  /** Workers alive now (their heartbeats have not expired), this one included once it has announced itself. */
  async liveWorkers(): Promise<number> {
    return (await kvEntries(this.jsm, this.live, this.bucket, 'worker.>')).length;
  }

  /** Announces this worker (with what it wants others to see) and returns how many workers are alive. */
  async heartbeat(report: string): Promise<number> {
    await this.live.put(`worker.${this.worker}`, report);
    return Math.max(1, await this.liveWorkers());
  }

  /** Renews owned leases (dropping the ones lost), then claims or picks out to reach a fair share. */
  async rebalance(liveWorkers: number): Promise<{ claimed: number[]; lost: number[]; surplus: number[] }> {
    const lost: number[] = [];
    // all at once: with NATS slow to answer, renewing one after another could outlast the leases themselves
    await Promise.all(
      [...this.owned].map(async ([k, revision]) => {
        try {
          this.owned.set(k, await this.live.update(leaseKey(k), this.worker, revision));
        } catch {
          this.owned.delete(k);
          lost.push(k);
        }
      }),
    );
    lost.sort((a, b) => a - b);
    const target = Math.ceil(this.partitions / liveWorkers);
    const claimed: number[] = [];
    const start = firstChoice(this.worker, this.partitions);
    for (let i = 0; i < this.partitions && this.owned.size < target; i++) {
      const k = (start + i) % this.partitions;
      if (this.owned.has(k)) continue;
      try {
        this.owned.set(k, await this.live.create(leaseKey(k), this.worker));
        claimed.push(k);
      } catch (error) {
        // owned by another worker; anything else (a timeout, JetStream unavailable) ends this round of claims
        if (!(error instanceof JetStreamApiError)) break;
      }
    }
    const surplus = this.ownedPartitions.slice(target);
    return { claimed, lost, surplus };
  }

  /** Gives a partition back (after its in-flight message settled). */
  async release(k: number): Promise<void> {
    const revision = this.owned.get(k);
    this.owned.delete(k);
    if (revision === undefined) return;
    await this.live.delete(leaseKey(k), { previousSeq: revision }).catch(() => undefined);
  }

  async releaseAll(): Promise<void> {
    await Promise.all(this.ownedPartitions.map((k) => this.release(k)));
    await this.live.delete(`worker.${this.worker}`).catch(() => undefined);
  }
}

export function leaseKey(partition: number): string {
  return `lease.${partition}`;
}

/** Workers start claiming at different partitions, so they rarely race for the same key. */
function firstChoice(worker: string, partitions: number): number {
  let hash = 0;
  for (let i = 0; i < worker.length; i++) hash = (hash * 31 + worker.charCodeAt(i)) | 0;
  return Math.abs(hash) % partitions;
}
