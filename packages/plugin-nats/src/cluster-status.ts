/**
 * `reprise cluster status`: what a service's stream, consumers, workers and agents are doing, read
 * from JetStream (stream and consumer info) and the service's KV buckets (run clock, heartbeats,
 * leases, agent counters).
 */
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { RepriseError } from '@reprise/core';
import { withDeadline } from './deadline.js';
import { kvEntries } from './kv-entries.js';
import { connectService, readPartitions, type ServiceConnection } from './nats-service.js';
import { readRunClock } from './run-clock.js';
import { workConsumers } from './work-consumers.js';

export interface ConsumerStatus {
  name: string;
  partition?: number;
  owner?: string;
  backlog: number;
  inFlight: number;
  limit: number;
  redelivered: number;
  /** Age of the oldest message not yet acknowledged (0 when caught up). */
  lagMs: number;
  isStalled: boolean;
}

export interface ClusterStatus {
  service: string;
  stream: { name: string; messages: number; bytes: number; firstSeq: number; lastSeq: number };
  results: { name: string; messages: number };
  mode: 'session-affinity' | 'shared' | 'no workers yet';
  /** Requests and responses not yet delivered to any worker, over every consumer of the service. */
  backlog: number;
  inFlight: number;
  /** Deliveries that were redeliveries (a worker died or a replay got no response), counted by the workers. */
  redelivered: number;
  /** Messages deleted by the stream's limits before every consumer acknowledged them. */
  retentionLost: number;
  consumers: ConsumerStatus[];
  workers: Array<{
    worker: string;
    isAlive: boolean;
    partitions: number[];
    replayed: number;
    redelivered: number;
    noResponse: number;
    inFlight: number;
    ratePerSec: number;
    ageMs: number;
  }>;
  agents: Array<{
    agent: string;
    published: number;
    acked: number;
    duplicates: number;
    dropped: number;
    spilled: number;
    failed: number;
    pending: number;
    ageMs: number;
  }>;
  rate: { targetPerSec?: number; speedPercent?: number; achievedPerSec: number };
  warnings: string[];
}

/** The whole status, connection included, comes within `timeoutMs` or fails (exit 4), naming the server. */
export async function clusterStatus(url: string, service: string, timeoutMs: number): Promise<ClusterStatus> {
  let conn: ServiceConnection | undefined;
  let isTimedOut = false;
  const work = (async () => {
    const c = await connectService({ url, service, plugin: 'cluster status', clientName: 'reprise cluster status', timeoutMs });
    conn = c;
    if (isTimedOut) throw new Error('timed out');
    return readStatus(c);
  })();
  try {
    return await withDeadline(work, timeoutMs, () => {
      isTimedOut = true;
      return new RepriseError(
        'RPR_STORAGE_UNAVAILABLE',
        `NATS at ${url} did not answer within ${timeoutMs} ms (right after a restart JetStream may still be recovering: ask again, or raise --timeout)`,
        { plugin: 'cluster status', option: 'timeout' },
      );
    });
  } finally {
    // after a timeout nothing more is asked: close at once instead of draining
    if (isTimedOut) await conn?.nc.close();
    else await conn?.close();
  }
}

async function readStatus(conn: ServiceConnection): Promise<ClusterStatus> {
  const { jsm, names } = conn;
  const streamInfo = await jsm.streams.info(names.trafficStream).catch(() => {
    throw new RepriseError(
      'RPR_INPUT_NOT_FOUND',
      `no stream ${names.trafficStream}: nothing was published for service "${names.service}"`,
      {
        plugin: 'cluster status',
        option: 'service',
      },
    );
  });
  const results = await jsm.streams.info(names.resultsStream).catch(() => undefined);
  const now = Date.now();
  const live = await new Kvm(conn.js).open(names.liveBucket).catch(() => undefined);
  const owners = new Map<number, string>();
  const alive = new Set<string>();
  if (live) {
    for (const [key, value] of await entries(conn, live, names.liveBucket, 'lease.>'))
      owners.set(Number(key.slice('lease.'.length)), value);
    for (const [key] of await entries(conn, live, names.liveBucket, 'worker.>')) alive.add(key.slice('worker.'.length));
  }
  const workers: ClusterStatus['workers'] = [];
  for (const [key, value] of await entries(conn, conn.state, names.stateBucket, 'worker.>')) {
    const w = JSON.parse(value);
    const name = key.slice('worker.'.length);
    workers.push({
      worker: name,
      isAlive: alive.has(name),
      partitions: alive.has(name) ? (w.partitions ?? []) : [],
      replayed: w.replayed ?? 0,
      redelivered: w.redelivered ?? 0,
      noResponse: w.noResponse ?? 0,
      inFlight: alive.has(name) ? (w.inFlight ?? 0) : 0,
      ratePerSec: alive.has(name) ? (w.ratePerSec ?? 0) : 0,
      ageMs: now - (w.atMs ?? now),
    });
  }
  const agents: ClusterStatus['agents'] = [];
  for (const [key, value] of await entries(conn, conn.state, names.stateBucket, 'agent.>')) {
    const a = JSON.parse(value);
    agents.push({
      agent: key.slice('agent.'.length),
      published: a.published ?? 0,
      acked: a.acked ?? 0,
      duplicates: a.duplicates ?? 0,
      dropped: a.dropped ?? 0,
      spilled: a.spilled ?? 0,
      failed: a.failed ?? 0,
      pending: a.pending ?? 0,
      ageMs: now - (a.atMs ?? now),
    });
  }

  const partitions = (await readPartitions(conn.state)) ?? 0;
  const existing = new Set<string>();
  for await (const c of jsm.consumers.list(names.trafficStream)) existing.add(c.name);
  const affinity = workConsumers(names, partitions, true).filter((c) => existing.has(c.name));
  const shared = workConsumers(names, partitions, false).filter((c) => existing.has(c.name));
  const chosen = affinity.length > 0 ? affinity : shared;
  const mode: ClusterStatus['mode'] = affinity.length > 0 ? 'session-affinity' : shared.length > 0 ? 'shared' : 'no workers yet';
  const warnings: string[] = [];
  const consumers: ConsumerStatus[] = [];
  let minAckFloor = Infinity;
  for (const c of chosen) {
    const info = await jsm.consumers.info(names.trafficStream, c.name);
    const ackFloor = info.ack_floor.stream_seq;
    minAckFloor = Math.min(minAckFloor, ackFloor);
    const unfinished = info.num_pending + info.num_ack_pending;
    let lagMs = 0;
    if (unfinished > 0) {
      const oldest = await jsm.streams
        .getMessage(names.trafficStream, { seq: Math.max(ackFloor + 1, streamInfo.state.first_seq) })
        .catch(() => null);
      if (oldest) lagMs = Math.max(0, now - oldest.time.getTime());
    }
    const isStalled = info.num_pending > 0 && info.num_ack_pending >= info.config.max_ack_pending!;
    consumers.push({
      name: c.name,
      partition: c.partition,
      owner: c.partition === undefined ? undefined : owners.get(c.partition),
      backlog: info.num_pending,
      inFlight: info.num_ack_pending,
      limit: info.config.max_ack_pending ?? -1,
      redelivered: info.num_redelivered,
      lagMs,
      isStalled,
    });
    if (c.partition !== undefined && info.num_pending > 0 && !owners.has(c.partition)) {
      warnings.push(`partition ${c.partition} has ${info.num_pending} waiting and no worker holds its lease`);
    }
  }
  const stalled = consumers.filter((c) => c.isStalled && c.partition === undefined);
  for (const c of stalled)
    warnings.push(`${c.name}: ${c.inFlight} in flight, at its limit of ${c.limit}: delivery waits until workers acknowledge`);
  if (consumers.some((c) => c.backlog > 0) && alive.size === 0) warnings.push('messages are waiting and no worker is alive');
  for (const a of agents) if (a.dropped > 0) warnings.push(`agent ${a.agent} dropped ${a.dropped} messages NATS could not take`);
  const firstSeq = streamInfo.state.first_seq;
  // For partitions the smallest ack floor is a lower bound of their positions: an upper bound of losses.
  const retentionLost = chosen.length > 0 && streamInfo.state.messages > 0 ? Math.max(0, firstSeq - 1 - minAckFloor) : 0;
  const clock = await readRunClock(conn.state);
  const freshWorkers = workers.filter((w) => w.isAlive);
  return {
    service: names.service,
    stream: {
      name: names.trafficStream,
      messages: streamInfo.state.messages,
      bytes: streamInfo.state.bytes,
      firstSeq,
      lastSeq: streamInfo.state.last_seq,
    },
    results: { name: names.resultsStream, messages: results?.state.messages ?? 0 },
    mode,
    backlog: consumers.length > 0 ? consumers.reduce((n, c) => n + c.backlog, 0) : streamInfo.state.messages,
    inFlight: consumers.reduce((n, c) => n + c.inFlight, 0),
    redelivered: workers.reduce((n, w) => n + w.redelivered, 0),
    retentionLost,
    consumers,
    workers,
    agents,
    rate: {
      targetPerSec: clock?.ratePerSecond,
      speedPercent: clock?.speedPercent,
      achievedPerSec: Math.round(freshWorkers.reduce((n, w) => n + w.ratePerSec, 0) * 10) / 10,
    },
    warnings,
  };
}

/** The bucket's entries under `filter`; none when the bucket does not exist yet (no worker has run). */
async function entries(conn: ServiceConnection, kv: KV, bucket: string, filter: string): Promise<Array<[string, string]>> {
  return kvEntries(conn.jsm, kv, bucket, filter).catch((error) => {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return [];
    throw error;
  });
}

export function formatClusterStatus(s: ClusterStatus): string {
  const lines: string[] = [];
  lines.push(`service ${s.service}: ${s.mode}`);
  lines.push(
    `  stream ${s.stream.name}: ${s.stream.messages} messages, ${s.stream.bytes} bytes (seq ${s.stream.firstSeq}..${s.stream.lastSeq}); results ${s.results.messages}`,
  );
  lines.push(`  backlog ${s.backlog}, in flight ${s.inFlight}, redelivered ${s.redelivered}, lost to retention ${s.retentionLost}`);
  const target = s.rate.targetPerSec
    ? `${s.rate.targetPerSec}/s`
    : s.rate.speedPercent
      ? `${s.rate.speedPercent}% of recorded timing`
      : 'as fast as the target takes';
  lines.push(`  rate: achieved ${s.rate.achievedPerSec}/s, target ${target}`);
  if (s.consumers.length > 0) {
    lines.push('  consumers:');
    for (const c of s.consumers) {
      const owner = c.partition === undefined ? '' : ` owner ${c.owner ?? '-'}`;
      lines.push(
        `    ${c.name}${owner}: backlog ${c.backlog}, in flight ${c.inFlight}/${c.limit}${c.isStalled ? ' (at limit)' : ''}, redelivered ${c.redelivered}, lag ${(c.lagMs / 1000).toFixed(1)}s`,
      );
    }
  }
  if (s.workers.length > 0) {
    lines.push('  workers:');
    for (const w of s.workers) {
      lines.push(
        `    ${w.worker}${w.isAlive ? '' : ' (gone)'}: ${w.ratePerSec.toFixed(1)}/s, replayed ${w.replayed}, redelivered ${w.redelivered}, no response ${w.noResponse}, in flight ${w.inFlight}${w.partitions.length ? `, partitions ${w.partitions.join(',')}` : ''}`,
      );
    }
  }
  if (s.agents.length > 0) {
    lines.push('  agents:');
    for (const a of s.agents) {
      lines.push(
        `    ${a.agent}: published ${a.published}, acked ${a.acked}, duplicates ${a.duplicates}, dropped ${a.dropped}, spilled ${a.spilled}, failed ${a.failed} (${(a.ageMs / 1000).toFixed(0)}s ago)`,
      );
    }
  }
  for (const w of s.warnings) lines.push(`  warning: ${w}`);
  return lines.join('\n') + '\n';
}
