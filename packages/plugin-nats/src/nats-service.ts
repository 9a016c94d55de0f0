/**
 * A connection to one service's streams and buckets, created on first use (idempotent, so agents and
 * workers may start in any order). Only features of nats-server 2.9 are used.
 */
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { RepriseError } from '@reprise/core';
import { serviceNames, type ServiceNames } from './service-names.js';

export interface ServiceLimits {
  /** How long the servers remember a Nats-Msg-Id: a retry inside it is not stored twice. */
  dedupWindowMs: number;
  /** Traffic older than this is deleted by the server (retention). */
  maxAgeMs: number;
  maxBytes: number;
}

export interface ServiceConnection {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  names: ServiceNames;
  state: KV;
  bodies(): Promise<ObjectStore>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  url: string;
  service: string;
  /** For errors: the component and its option naming the service. */
  plugin: string;
  /** Name shown by the server (`nats server report connections`). */
  clientName: string;
  /** Keep retrying the first connection (agents) until it works or this signal aborts, instead of failing (commands). */
  retryUntil?: AbortSignal;
  /** Time the connection and each JetStream request may take (default: nats.js's, 20 s and 5 s). */
  timeoutMs?: number;
}

export async function connectService(options: ConnectOptions): Promise<ServiceConnection> {
  const names = serviceNames(options.service, { plugin: options.plugin, option: 'service' });
  const servers = natsServers(options.url, options.plugin);
  let nc: NatsConnection | undefined;
  while (!nc) {
    try {
      nc = await connect({
        servers,
        name: options.clientName,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
      });
    } catch (error) {
      // our own retry loop rather than waitOnFirstConnect, so a stopping agent is not kept alive by it
      if (!options.retryUntil || options.retryUntil.aborted) {
        throw new RepriseError('RPR_STORAGE_UNAVAILABLE', `cannot connect to NATS at ${options.url}: ${(error as Error).message}`, {
          plugin: options.plugin,
          cause: error,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  const requestTimeout = options.timeoutMs ? { timeout: options.timeoutMs } : {};
  const js = jetstream(nc, requestTimeout);
  let jsm: JetStreamManager;
  let state: KV;
  try {
    jsm = await jetstreamManager(nc, requestTimeout);
    state = await new Kvm(js).create(names.stateBucket, { history: 1 });
  } catch (error) {
    // an open connection would keep the process alive after the error
    await nc.close();
    throw error;
  }
  let bodies: Promise<ObjectStore> | undefined;
  return {
    nc,
    js,
    jsm,
    names,
    state,
    bodies: () => (bodies ??= new Objm(js).create(names.bodiesBucket)),
    close: async () => {
      if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
    },
  };
}

/** `nats://host:4222`, `host:4222`, or several separated by commas. */
export function natsServers(url: string, plugin: string): string[] {
  const servers = url
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (servers.length === 0) {
    throw new RepriseError('RPR_CONFIG_INVALID', 'a NATS URL is required (example: nats://127.0.0.1:4222)', { plugin });
  }
  for (const server of servers) {
    if (!/^(nats|tls):\/\/[^/\s]+\/?$|^[^:/\s]+:\d+$/.test(server)) {
      throw new RepriseError('RPR_CONFIG_INVALID', `"${server}" is not a NATS URL (example: nats://127.0.0.1:4222)`, { plugin });
    }
  }
  return servers;
}

/** The traffic and results streams, created if missing; an existing stream is left as it is. */
export async function ensureStreams(conn: ServiceConnection, limits: ServiceLimits): Promise<void> {
  const { jsm, names } = conn;
  const common = {
    max_age: limits.maxAgeMs * 1_000_000,
    max_bytes: limits.maxBytes,
    duplicate_window: limits.dedupWindowMs * 1_000_000,
  };
  await addIfMissing(jsm, { name: names.trafficStream, subjects: [names.trafficWildcard], ...common });
  await addIfMissing(jsm, { name: names.resultsStream, subjects: [names.resultsSubject], ...common });
}

async function addIfMissing(
  jsm: JetStreamManager,
  config: { name: string; subjects: string[]; max_age: number; max_bytes: number; duplicate_window: number },
): Promise<void> {
  try {
    await jsm.streams.info(config.name);
    return;
  } catch {
    // missing: create it below
  }
  try {
    await jsm.streams.add(config);
  } catch (error) {
    // another agent created it meanwhile
    await jsm.streams.info(config.name).catch(() => {
      throw error;
    });
  }
}

/** The service's partition count: the first agent's choice wins, later ones read it. */
export async function sharedPartitions(state: KV, proposed: number): Promise<number> {
  try {
    await state.create('partitions', String(proposed));
    return proposed;
  } catch {
    const entry = await state.get('partitions');
    return Number(entry?.string() ?? proposed) || proposed;
  }
}

export async function readPartitions(state: KV): Promise<number | undefined> {
  const entry = await state.get('partitions');
  const n = Number(entry?.string());
  return n > 0 ? n : undefined;
}
