/**
 * `--input-nats-work URL`: one replay worker's share of a service's traffic (what `reprise cluster
 * run` composes with output-http and output-nats-results). Requests are pulled from durable consumers,
 * paced by the service's one clock, and handed to the pipeline; each is acknowledged only when its
 * replayed response is published (the work ledger), so a worker that dies loses nothing.
 */
import { setMaxListeners } from 'node:events';
import type { Consumer, JsMsg } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { defineInput, parseDurationMs, RepriseError, type Message } from '@reprise/core';
import { defaultAgentName } from './agent-name.js';
import { connectService, ensureStreams, natsServers, sharedPartitions, type ServiceConnection } from './nats-service.js';
import { PartitionLeases } from './partition-leases.js';
import { dueAtMs, modeRefusal, readRunClock, shareIntervalMs, SharePacer, sharedRunClock, sleepUntil, type RunClock } from './run-clock.js';
import { DEFAULT_STREAM_LIMITS } from './output-nats.js';
import { DEFAULT_PARTITIONS, serviceNames, serviceOption } from './service-names.js';
import { storedMessage } from './stored-message.js';
import { ensureWorkConsumers, workConsumers, type WorkConsumer } from './work-consumers.js';
import { registerLedger, WorkLedger } from './work-ledger.js';
import { HEADER } from './wire-format.js';

const COMPONENT = 'input-nats-work';
const PULL_BATCH = 64;
/** Paced work is pulled a few at a time, so what waits for its time is not held away from the other workers. */
const PACED_PULL_BATCH = 8;

export const inputNatsWork = defineInput({
  kind: 'input',
  name: COMPONENT,
  rate: 'none',
  summary: "Take a replay worker's share of a NATS service's requests (used by `reprise cluster run`)",
  value: { placeholder: 'url', description: 'NATS server URL(s), comma-separated', example: 'nats://127.0.0.1:4222' },
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      service: serviceOption(),
      worker: {
        type: 'string',
        pattern: '^[A-Za-z0-9_.-]{1,100}$',
        description: "This worker's name (default: <host>-<pid>)",
        examples: ['load-1'],
      },
      sessionAffinity: {
        type: 'boolean',
        default: false,
        description:
          'Keep each TCP session on one worker, in order: workers lease partitions, one request in flight per partition. ' +
          'All workers of a service run with it or all without (a worker of the other mode is refused)',
        examples: [true],
      },
      atMostOnce: {
        type: 'boolean',
        default: false,
        description: 'Acknowledge before replaying: a crash loses requests instead of repeating them',
        examples: [true],
      },
      speed: {
        type: 'number',
        minimum: 0.001,
        description: 'Replay at this percentage of the recorded timing, across all workers (100: as recorded)',
        examples: [100, 1000],
      },
      rate: {
        type: 'number',
        minimum: 0.001,
        description: 'Aggregate requests per second across all workers (each live worker sends its share)',
        examples: [200],
      },
      maxInFlight: {
        type: 'integer',
        minimum: 1,
        maximum: 100_000,
        default: 256,
        description: 'Requests this worker holds unacknowledged at once (without session affinity)',
        examples: [1024],
      },
      ackWait: {
        type: 'string',
        format: 'duration',
        default: '30s',
        description: 'Time after which a request not acknowledged (its worker died) is delivered again',
        examples: ['30s'],
      },
      responseTimeout: {
        type: 'string',
        format: 'duration',
        default: '10s',
        description: 'Time a request may wait for its replayed response before it is handed back for redelivery',
        examples: ['10s'],
      },
      maxDeliver: {
        type: 'integer',
        minimum: 1,
        default: 5,
        description: 'Deliveries of a request that never gets a response before it is given up (counted)',
        examples: [3],
      },
      leaseTtl: {
        type: 'string',
        format: 'duration',
        default: '5s',
        description: "Life of a partition lease and a worker heartbeat: how soon a dead worker's partitions move",
        examples: ['5s'],
      },
      exitWhenDrained: {
        type: 'boolean',
        default: false,
        description: 'End once the stream is consumed and nothing is in flight on any worker',
        examples: [true],
      },
    },
  },
  create(value, options, ctx) {
    const url = value ?? '';
    natsServers(url, COMPONENT);
    const names = serviceNames(options.service, { plugin: COMPONENT, option: 'service' });
    const worker = options.worker ?? defaultAgentName();
    const ackWaitMs = parseDurationMs(options.ackWait, 'ackWait');
    const leaseTtlMs = parseDurationMs(options.leaseTtl, 'leaseTtl');
    const ledger = new WorkLedger(parseDurationMs(options.responseTimeout, 'responseTimeout'), options.maxDeliver, ctx.stats);
    const unregister = registerLedger(options.service, worker, ledger);
    const queue: Message[] = [];
    let wake: (() => void) | undefined;
    const notify = () => {
      wake?.();
      wake = undefined;
    };
    const stop = new AbortController();
    // every partition lane listens to it
    setMaxListeners(0, stop.signal);
    ctx.signal.addEventListener('abort', () => stop.abort(), { once: true });
    stop.signal.addEventListener('abort', () => notify(), { once: true });
    let conn: ServiceConnection | undefined;
    let leases: PartitionLeases | undefined;
    const counts = { redelivered: 0, skipped: 0, corrupt: 0 };
    let ratePerSec = 0;
    const report = () =>
      JSON.stringify({
        worker,
        partitions: leases?.ownedPartitions ?? [],
        replayed: ledger.replayed,
        redelivered: counts.redelivered,
        noResponse: ledger.noResponse,
        inFlight: ledger.inFlight,
        ratePerSec,
        atMs: Date.now(),
      });

    return {
      async *read(): AsyncIterable<Message[]> {
        const c = await connectService({ url, service: options.service, plugin: COMPONENT, clientName: `reprise worker ${worker}` });
        conn = c;
        await ensureStreams(c, DEFAULT_STREAM_LIMITS);
        const partitions = await sharedPartitions(c.state, DEFAULT_PARTITIONS);
        const consumers = workConsumers(names, partitions, options.sessionAffinity);
        const live = await new Kvm(c.js).create(names.liveBucket, { history: 1, ttl: leaseTtlMs });
        leases = new PartitionLeases(live, names.liveBucket, c.jsm, worker, partitions);
        // no other worker alive: the previous run (if any) is over and this worker starts a new one
        const isFirst = (await leases.liveWorkers()) === 0;
        // a worker of the other mode is refused before it creates its consumers
        const running = isFirst ? undefined : await readRunClock(c.state);
        if (running) refuseOtherMode(running, options);
        await ensureWorkConsumers(c.jsm, names, consumers, ackWaitMs);
        const { clock, isOwn } = await sharedRunClock(c.state, await proposedClock(c, names.trafficStream, consumers, options), isFirst);
        // workers that started a run together in different modes: the one whose clock was not kept stops
        refuseOtherMode(clock, options);
        if (!isOwn && (clock.speedPercent !== options.speed || clock.ratePerSecond !== options.rate)) {
          ctx.logger.warn(
            `the service's run already has speed ${clock.speedPercent ?? 'none'}% and rate ${clock.ratePerSecond ?? 'none'}/s (set by the first worker): following it`,
          );
        }
        let liveWorkers = 1;
        const pacer = new SharePacer();
        const lanes = new Map<string, { stop: AbortController; done: Promise<void> }>();

        const handle = async (m: JsMsg, isSerial: boolean, laneSignal: AbortSignal) => {
          if (m.info.redelivered) {
            counts.redelivered++;
            ctx.stats.add('redelivered');
          }
          let message: Message;
          try {
            message = await storedMessage(c, m, COMPONENT);
          } catch (error) {
            // not a reprise message (or its body is gone): redelivering it would never help
            m.term('not a reprise message');
            ctx.stats.add('corrupt');
            if (counts.corrupt++ === 0) ctx.logger.warn(`${(error as Error).message} (further ones are only counted)`);
            return;
          }
          if (message.kind !== 'request') {
            m.ack();
            counts.skipped++;
            return;
          }
          await waitDue(m, dueAtMs(clock, message.timestamp), ackWaitMs, laneSignal);
          await pacer.next(shareIntervalMs(clock, liveWorkers), laneSignal);
          if (laneSignal.aborted) return m.nak();
          message.meta = { ...message.meta, [HEADER.worker]: worker };
          if (options.atMostOnce && m.info.redelivered) {
            // an earlier delivery may have been sent already: at most once means never sending it again
            m.term('at-most-once: not sent again');
            ctx.stats.add('not-resent');
            return;
          }
          if (options.atMostOnce) {
            // sent only once the server confirms the ack: an ack that came too late (the message went to
            // another delivery meanwhile) must not be followed by a send
            const isAcked = await m.ackAck().catch(() => false);
            if (!isAcked) {
              ctx.stats.add('ack-failed');
              return;
            }
            queue.push(message);
            notify();
            return;
          }
          const settled = ledger.track(message.id, m);
          queue.push(message);
          notify();
          if (isSerial) await settled;
        };

        const runLane = async (consumer: WorkConsumer, laneSignal: AbortSignal) => {
          const pull: Consumer = await c.js.consumers.get(names.trafficStream, consumer.name);
          const isSerial = consumer.maxAckPending === 1;
          while (!laneSignal.aborted) {
            // Small pulls: what a worker holds is paced work the others cannot take.
            const pullBatch = clock.speedPercent || clock.ratePerSecond ? PACED_PULL_BATCH : PULL_BATCH;
            const room = isSerial ? 1 : Math.min(pullBatch, options.maxInFlight - ledger.inFlight - queue.length);
            if (room <= 0) {
              await sleepUntil(Date.now() + 5, laneSignal);
              continue;
            }
            try {
              // Take the whole pull first, then work: a pull request left open while we wait would miss its heartbeats.
              const pulled: JsMsg[] = [];
              const pulledAtMs = Date.now();
              if (isSerial) {
                const m = await pull.next({ expires: 1000 });
                if (m) pulled.push(m);
              } else {
                for await (const m of await pull.fetch({ max_messages: room, expires: 1000 })) pulled.push(m);
              }
              // idle only when a whole pull found nothing (not when it ended early on a busy host)
              if (pulled.length === 0 && !isSerial && Date.now() - pulledAtMs >= 900) pacer.reset();
              for (const m of pulled) await handle(m, isSerial, laneSignal);
            } catch (error) {
              if (laneSignal.aborted) break;
              ctx.logger.warn(`${consumer.name}: ${(error as Error).message}; retrying`);
              await sleepUntil(Date.now() + 500, laneSignal);
            }
          }
        };
        const startLane = (consumer: WorkConsumer) => {
          const laneStop = new AbortController();
          const onStop = () => laneStop.abort();
          stop.signal.addEventListener('abort', onStop, { once: true });
          const done = runLane(consumer, laneStop.signal).finally(() => stop.signal.removeEventListener('abort', onStop));
          lanes.set(consumer.name, { stop: laneStop, done });
        };
        const stopLane = async (name: string) => {
          const lane = lanes.get(name);
          if (!lane) return;
          lanes.delete(name);
          lane.stop.abort();
          await lane.done;
        };

        let replayedBefore = 0;
        let lastTickMs = Date.now();
        let isDrained = false;
        let surplusBefore = new Set<number>();
        const tick = async () => {
          const now = Date.now();
          ratePerSec = ((ledger.replayed - replayedBefore) * 1000) / Math.max(1, now - lastTickMs);
          replayedBefore = ledger.replayed;
          lastTickMs = now;
          const counters = report();
          liveWorkers = await leases!.heartbeat(counters);
          // counters outlive the worker (status after a run); the live bucket only says who is alive
          await c.state.put(`worker.${worker}`, counters);
          if (options.sessionAffinity) {
            const { claimed, lost, surplus } = await leases!.rebalance(liveWorkers);
            for (const k of lost) void stopLane(names.partitionConsumer(k));
            // a partition moves only when it was surplus twice in a row: a late heartbeat does not reshuffle sessions
            const confirmed = surplus.filter((k) => surplusBefore.has(k));
            surplusBefore = new Set(surplus);
            for (const k of confirmed) void stopLane(names.partitionConsumer(k)).then(() => leases!.release(k));
            for (const k of claimed) startLane(consumers[k]!);
            if (claimed.length + lost.length + confirmed.length > 0) {
              ctx.logger.info(
                `worker ${worker} of ${liveWorkers}: partitions ${leases!.ownedPartitions.filter((k) => !confirmed.includes(k)).join(',') || 'none'}`,
              );
            }
          }
          if (options.exitWhenDrained && ledger.inFlight === 0 && queue.length === 0) {
            isDrained = await isConsumed(c, names.trafficStream, consumers);
            if (isDrained) notify();
          }
        };
        if (!options.sessionAffinity) startLane(consumers[0]!);
        const tickEveryMs = Math.max(100, Math.floor(leaseTtlMs / 3));
        let ticking = tick().catch((e) => ctx.logger.warn(`heartbeat: ${(e as Error).message}`));
        const timer = setInterval(() => {
          ticking = ticking.then(tick).catch((e) => ctx.logger.warn(`heartbeat: ${(e as Error).message}`));
        }, tickEveryMs);
        ctx.logger.info(
          `worker ${worker} on ${names.trafficStream}: ${options.sessionAffinity ? `${partitions} partitions, session affinity` : 'shared consumer'}`,
        );
        try {
          while (!stop.signal.aborted && !isDrained) {
            if (queue.length === 0) {
              await new Promise<void>((resolve) => (wake = resolve));
              continue;
            }
            yield queue.splice(0);
          }
          if (queue.length > 0 && !stop.signal.aborted) yield queue.splice(0);
        } finally {
          clearInterval(timer);
          stop.abort();
          await Promise.all([...lanes.keys()].map(stopLane));
          await ticking;
        }
      },
      async close() {
        stop.abort();
        ledger.releaseAll();
        ratePerSec = 0;
        await conn?.state.put(`worker.${worker}`, report()).catch(() => undefined);
        unregister();
        await leases?.releaseAll().catch(() => undefined);
        await conn?.close();
      },
    };
  },
});

export type InputNatsWorkOptions = Parameters<typeof inputNatsWork.create>[1];

/** A proposal for the run's clock: start shortly, from the next message to deliver (or now, when there is none). */
async function proposedClock(
  c: ServiceConnection,
  stream: string,
  consumers: WorkConsumer[],
  options: InputNatsWorkOptions,
): Promise<RunClock> {
  let firstTimestampNs = String(BigInt(Date.now()) * 1_000_000n);
  let nextSeq = Infinity;
  for (const consumer of consumers) {
    const info = await c.jsm.consumers.info(stream, consumer.name);
    if (info.num_pending + info.num_ack_pending > 0) nextSeq = Math.min(nextSeq, info.ack_floor.stream_seq + 1);
  }
  if (Number.isFinite(nextSeq)) {
    const first = await c.jsm.streams.getMessage(stream, { seq: nextSeq }).catch(() => null);
    const recorded = first?.header?.get(HEADER.timestamp);
    if (recorded && /^\d+$/.test(recorded)) firstTimestampNs = recorded;
  }
  return {
    startMs: Date.now() + 500,
    firstTimestampNs,
    speedPercent: options.speed,
    ratePerSecond: options.rate,
    sessionAffinity: options.sessionAffinity,
  };
}

function refuseOtherMode(clock: RunClock, options: InputNatsWorkOptions): void {
  const refusal = modeRefusal(clock, options.sessionAffinity, options.service);
  if (refusal) throw new RepriseError('RPR_CONFIG_INVALID', refusal, { plugin: COMPONENT, option: 'sessionAffinity' });
}

/** Waits until a request is due, telling the server it is being worked on so it is not redelivered meanwhile. */
async function waitDue(m: JsMsg, dueMs: number | undefined, ackWaitMs: number, signal: AbortSignal): Promise<void> {
  if (dueMs === undefined) return;
  const step = Math.max(100, ackWaitMs / 2);
  while (!signal.aborted && dueMs - Date.now() > step) {
    await sleepUntil(Date.now() + step, signal);
    m.working();
  }
  await sleepUntil(dueMs, signal);
}

/** Nothing left to deliver and nothing unacknowledged, on every consumer of this mode. */
async function isConsumed(c: ServiceConnection, stream: string, consumers: WorkConsumer[]): Promise<boolean> {
  for (const consumer of consumers) {
    const info = await c.jsm.consumers.info(stream, consumer.name);
    if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
  }
  return true;
}
