/**
 * The engine: inputs → middleware chain → outputs (fan-out, or round-robin with splitOutput).
 *
 *   inputs ─┐                                    ┌─► queue ─► output A
 *           ├─► bus ─► middleware 1..n ─► fan-out ┼─► queue ─► output B
 *  emitted ─┘   (replayed responses re-enter here)└─► …
 *
 * Every output has its own bounded queue. A live input (capture) never waits: a full queue drops
 * and counts. Recorded inputs (files) are paced by the outputs instead, so nothing read is lost.
 */
import { BatchQueue } from './batch-queue.js';
import { Bus } from './bus.js';
import { wrapPluginError, type RepriseError } from '@reprise/core';
import { createLogger, type LogLevel } from './logger.js';
import type { Message } from '@reprise/core';
import type { AnyComponentDefinition, InputInstance, MiddlewareInstance, OutputInstance, PluginContext, Rate } from '@reprise/core';
import { RateGate, hidePassword, sessionShareOf } from '@reprise/core';
import { SessionGate } from './session-gate.js';
import { settingDefault } from './settings.js';
import { InstanceStats } from './stats.js';

/** One component in a pipeline: its definition, its main value, its rate suffix, its validated options. */
export interface ComponentUse {
  definition: AnyComponentDefinition;
  value?: string;
  rate?: Rate;
  options: Record<string, unknown>;
}

export type BufferPolicy = 'auto' | 'block' | 'drop';

export interface PipelineSettings {
  splitOutput: boolean;
  /**
   * GoReplay's --recognize-tcp-sessions: split-output deals whole sessions, outputs keep a session on one
   * connection, and a session's next request waits for the previous one's replayed response.
   */
  recognizeTcpSessions: boolean;
  /** How long a session's next request waits for the previous one's replayed response. */
  sessionResponseTimeoutMs: number;
  /** Stop after this long (GoReplay's --exit-after). */
  exitAfterMs?: number;
  /** Messages each output may have queued. */
  queueCapacity: number;
  /** What a full output queue does: `auto` drops for live inputs and waits for recorded ones. */
  bufferPolicy: BufferPolicy;
  /** How long a stop may spend draining before in-flight work is aborted. */
  drainTimeoutMs: number;
  logLevel: LogLevel;
}

/** The defaults of the settings that have one come from SETTINGS_FLAGS (settings.ts), as the help shows them. */
export const DEFAULT_SETTINGS: PipelineSettings = {
  splitOutput: false,
  recognizeTcpSessions: false,
  sessionResponseTimeoutMs: settingDefault('sessionResponseTimeout') as number,
  queueCapacity: settingDefault('queueSize') as number,
  bufferPolicy: settingDefault('bufferPolicy') as BufferPolicy,
  drainTimeoutMs: settingDefault('drainTimeout') as number,
  logLevel: 'info',
};

/** Batches the bus may hold before live inputs drop; recorded inputs wait while it holds more than lowWater. */
const BUS_LIMITS = { capacity: 4096, lowWater: 64 };

export type StopReason = 'inputs-ended' | 'exit-after' | 'signal' | 'error';

export interface PipelineResult {
  reason: StopReason;
  error?: RepriseError;
  elapsedMs: number;
  stats: InstanceStats[];
}

interface Stage<T> {
  use: ComponentUse;
  label: string;
  stats: InstanceStats;
  gate?: RateGate;
  instance?: T;
}

interface OutputStage extends Stage<OutputInstance> {
  queue: BatchQueue;
  task?: Promise<void>;
}

interface BusItem {
  batch: Message[];
  /** Index of the first middleware stage this batch still has to pass. */
  fromStage: number;
  /** The output that emitted it: an output never receives its own messages back. */
  source?: OutputStage;
  /** Already let through by the session gate (released after a wait). */
  isAdmitted?: boolean;
}

/** A batch in the middleware chain, not yet delivered. */
interface InFlight {
  item: BusItem;
  result: Message[] | Promise<Message[]>;
}

/** Batches the chain may hold at once while a middleware answers asynchronously (see consumeBus). */
const MAX_IN_FLIGHT = 3;

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

export class Pipeline {
  readonly inputs: Stage<InputInstance>[];
  readonly middleware: Stage<MiddlewareInstance>[];
  readonly outputs: OutputStage[];
  private readonly settings: PipelineSettings;
  private readonly abort = new AbortController();
  private readonly bus = new Bus<BusItem>(BUS_LIMITS);
  /** Settles once the last batch whose chain went asynchronous is through it (undefined when none is pending). */
  private chainTail: Promise<void> | undefined;
  private nextSplit = 0;
  private stopReason: StopReason | undefined;
  private failure: RepriseError | undefined;
  private hasLiveInput = false;
  /** Holds a session's next request until its previous one's replayed response went through the chain. */
  private sessionGate: SessionGate | undefined;
  private sessionTimer: NodeJS.Timeout | undefined;
  private sessionWaiters: Array<() => void> = [];
  private readonly sessionStats = new InstanceStats('sessions');
  private readonly startedAtMs = Date.now();
  readonly done: Promise<PipelineResult>;
  private resolveDone!: (result: PipelineResult) => void;

  constructor(
    uses: { inputs: ComponentUse[]; middleware: ComponentUse[]; outputs: ComponentUse[] },
    settings: Partial<PipelineSettings> = {},
  ) {
    this.settings = { ...DEFAULT_SETTINGS, ...settings };
    const stage = (use: ComponentUse) => {
      const label = use.value === undefined ? use.definition.name : `${use.definition.name} ${hidePassword(use.value)}`;
      const isCoreRate = use.rate && (use.definition.rate ?? 'core') === 'core';
      return { use, label, stats: new InstanceStats(label), gate: isCoreRate ? new RateGate(use.rate!) : undefined };
    };
    this.inputs = uses.inputs.map(stage);
    this.middleware = [...uses.middleware].sort((a, b) => (a.definition.order ?? 50) - (b.definition.order ?? 50)).map(stage);
    this.outputs = uses.outputs.map((use) => ({ ...stage(use), queue: new BatchQueue(this.settings.queueCapacity) }));
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Every instance's counters, inputs first. */
  get stats(): InstanceStats[] {
    const all = [...this.inputs, ...this.middleware, ...this.outputs].map((s) => s.stats);
    return this.sessionGate ? [...all, this.sessionStats] : all;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Creates every component, then runs until the inputs end, stop() is called, or something fails. */
  async run(): Promise<PipelineResult> {
    try {
      await this.createAll();
    } catch (error) {
      await this.closeAll();
      const failure = wrapPluginError(error, 'pipeline', 'create');
      const result = { reason: 'error' as const, error: failure, elapsedMs: 0, stats: this.stats };
      this.resolveDone(result);
      return result;
    }
    let exitTimer: NodeJS.Timeout | undefined;
    if (this.settings.exitAfterMs !== undefined) {
      exitTimer = setTimeout(() => this.stop('exit-after'), this.settings.exitAfterMs);
    }
    const consumer = this.consumeBus();
    for (const output of this.outputs) output.task = this.runOutput(output);
    await this.inputsEnded(this.inputs.map((input) => this.runInput(input)));
    this.stopReason ??= 'inputs-ended';
    await this.drain(consumer);
    clearTimeout(exitTimer);
    await this.closeAll();
    const result: PipelineResult = {
      reason: this.failure ? 'error' : this.stopReason,
      error: this.failure,
      elapsedMs: Date.now() - this.startedAtMs,
      stats: this.stats,
    };
    this.resolveDone(result);
    return result;
  }

  /** Stops reading; what was read is still delivered (within drainTimeoutMs). Idempotent. */
  stop(reason: StopReason = 'signal'): void {
    if (this.abort.signal.aborted) return;
    this.stopReason ??= reason;
    this.abort.abort();
  }

  private fail(error: unknown, plugin: string, phase: string): void {
    if (!this.failure) this.failure = wrapPluginError(error, plugin, phase);
    this.stop('error');
  }

  private context(stage: Stage<unknown>, emit: (batch: Message[]) => void): PluginContext {
    const rate = stage.use.definition.rate === 'plugin' ? stage.use.rate : undefined;
    const isMiddleware = stage.use.definition.kind === 'middleware';
    return {
      ...(isMiddleware ? { outputsTrackResponses: this.outputs.some((o) => o.instance?.emitsMessages === true) } : {}),
      component: stage.use.definition.name,
      instance: stage.label,
      logger: createLogger(stage.label, this.settings.logLevel),
      stats: stage.stats,
      signal: this.abort.signal,
      rate,
      sessions: this.settings.recognizeTcpSessions,
      emit,
    };
  }

  private async createAll(): Promise<void> {
    const create = async <T>(stage: Stage<T>, emit: (batch: Message[]) => void) => {
      try {
        const { definition, value, options } = stage.use;
        stage.instance = (await definition.create(value, options, this.context(stage, emit))) as T;
      } catch (error) {
        throw wrapPluginError(error, stage.use.definition.name, 'create');
      }
    };
    const toBusStart = (batch: Message[]) => this.pushBus(batch, 0);
    for (const output of this.outputs) await create(output, (batch) => this.pushBus(batch, 0, output));
    for (const [index, stage] of this.middleware.entries()) {
      // An asynchronous middleware (a child process) passes messages on by emitting them.
      await create(stage, (batch) => {
        stage.stats.add('out', batch.length);
        this.pushBus(batch, index + 1);
      });
    }
    for (const input of this.inputs) await create(input, toBusStart);
    this.hasLiveInput = this.inputs.some((input) => input.instance?.isLive === true);
    // Holding is only worth it when replayed responses come back through the chain.
    if (this.settings.recognizeTcpSessions && this.outputs.some((o) => o.instance?.emitsMessages)) {
      const gate = new SessionGate(this.settings.sessionResponseTimeoutMs);
      this.sessionGate = gate;
      const tick = Math.max(5, Math.min(100, this.settings.sessionResponseTimeoutMs / 4));
      this.sessionTimer = setInterval(() => this.releaseSessions(gate.expire(Date.now())), tick);
      this.sessionTimer.unref();
    }
  }

  /** Messages the session gate let go re-enter the bus at the chain's start, without being held again. */
  private releaseSessions(released: Message[]): void {
    if (released.length > 0) {
      this.sessionStats.add('out', released.length);
      this.bus.push({ batch: released, fromStage: 0, isAdmitted: true });
    }
    const gate = this.sessionGate!;
    this.sessionStats.counters.set('held', gate.held);
    this.sessionStats.counters.set('timed-out', gate.timedOut);
    this.refSessionTimer();
    if (gate.held <= this.sessionHoldLimit() && this.sessionWaiters.length > 0) {
      const waiters = this.sessionWaiters;
      this.sessionWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Messages the gate may hold before recorded inputs wait (live ones drop). */
  private sessionHoldLimit(): number {
    return this.settings.queueCapacity;
  }

  private async sessionsReleased(limit: number): Promise<void> {
    const gate = this.sessionGate;
    while (gate && gate.held > limit) await new Promise<void>((resolve) => this.sessionWaiters.push(resolve));
  }

  /** While messages are held only the expiry timer may be left to release them: it keeps the process alive. */
  private refSessionTimer(): void {
    if (this.sessionGate!.held > 0) this.sessionTimer!.ref();
    else this.sessionTimer!.unref();
  }

  private async runInput(stage: Stage<InputInstance>): Promise<void> {
    try {
      for await (const batch of stage.instance!.read()) {
        const admitted = stage.gate ? admit(stage.gate, batch, stage.stats) : batch;
        stage.stats.add('in', batch.length);
        const isGateFull = this.sessionGate !== undefined && this.sessionGate.held > this.sessionHoldLimit();
        if ((this.bus.isFull || isGateFull) && !this.shouldBlock()) {
          // The middleware chain is behind and a live source cannot wait: drop, and say so.
          stage.stats.add('dropped', admitted.length);
          continue;
        }
        stage.stats.add('out', admitted.length);
        this.pushBus(admitted, 0);
        // A live source still delivers what it captured before the stop (bounded by the drain deadline).
        if (this.abort.signal.aborted && !stage.instance!.isLive) break;
        // Recorded inputs wait while an output is full (policy block); live ones never do.
        if (this.shouldBlock()) await this.waitForOutputs();
      }
    } catch (error) {
      this.fail(error, stage.use.definition.name, 'read');
    }
  }

  /** All inputs ended; after a stop, an input that ignores the signal is not waited for past the deadline. */
  private async inputsEnded(tasks: Promise<void>[]): Promise<void> {
    const all = Promise.all(tasks);
    const afterStop = new Promise<void>((resolve) => {
      this.abort.signal.addEventListener('abort', () => setTimeout(resolve, this.settings.drainTimeoutMs).unref(), { once: true });
    });
    await Promise.race([all, afterStop]);
  }

  private shouldBlock(): boolean {
    const policy = this.settings.bufferPolicy;
    return policy === 'block' || (policy === 'auto' && !this.hasLiveInput);
  }

  private async waitForOutputs(): Promise<void> {
    // Bound the bus as well, so a slow middleware also paces the inputs.
    await this.bus.short(this.abort.signal);
    await this.sessionsReleased(this.sessionHoldLimit());
    for (const output of this.outputs) {
      if (!output.queue.hasRoom()) await output.queue.waitForRoom();
    }
  }

  private pushBus(batch: Message[], fromStage: number, source?: OutputStage): void {
    if (batch.length > 0) this.bus.push({ batch, fromStage, source });
  }

  /**
   * The single consumer of the bus: each stage processes batches in bus order. A batch whose chain
   * completes synchronously is delivered at once; a middleware that answers with a promise (a script
   * running on its own thread) gets the next batches before it has answered, up to MAX_IN_FLIGHT, so
   * both threads stay busy. Batches reach the outputs in bus order either way.
   */
  private async consumeBus(): Promise<void> {
    const inFlight: InFlight[] = [];
    for (;;) {
      // The bus counts as idle only once nothing is in flight.
      if (this.bus.size === 0) while (inFlight.length > 0) await this.deliverInFlight(inFlight.shift()!);
      const item = await this.bus.take();
      if (!item) break;
      const result = this.runChain(item);
      if (inFlight.length === 0 && !isPromise(result)) this.deliver(item, result);
      else {
        inFlight.push({ item, result });
        if (inFlight.length >= MAX_IN_FLIGHT) await this.deliverInFlight(inFlight.shift()!);
      }
    }
  }

  /** Passes a batch through the middleware chain: synchronously as long as every stage answers synchronously. */
  private runChain(item: BusItem): Message[] | Promise<Message[]> {
    let batch: Message[] = item.batch;
    const gate = this.sessionGate;
    if (gate && item.fromStage === 0 && !item.source && !item.isAdmitted) {
      const admitted = gate.admit(batch, Date.now());
      if (admitted.length !== batch.length) {
        this.sessionStats.add('in', batch.length - admitted.length);
        this.refSessionTimer();
      }
      batch = admitted;
    }
    // Past its first stage, a batch goes on only once the batch before it has been through the whole chain,
    // so every stage sees the batches in bus order.
    const previous = this.chainTail;
    for (let i = item.fromStage; i < this.middleware.length && batch.length > 0; i++) {
      if (previous !== undefined && i > item.fromStage) return this.track(this.finishChain(i, batch, previous));
      const result = this.processIn(i, batch);
      if (isPromise(result)) return this.track(this.finishChain(i + 1, result, previous));
      batch = result;
    }
    return batch;
  }

  /** The rest of a chain from stage `from` on, once stage from - 1 has answered and the batch before is through. */
  private async finishChain(from: number, answer: Message[] | Promise<Message[]>, previous: Promise<void> | undefined): Promise<Message[]> {
    let batch = isPromise(answer) ? await this.settleStage(from - 1, answer) : answer;
    if (previous !== undefined) await previous;
    for (let i = from; i < this.middleware.length && batch.length > 0; i++) {
      const result = this.processIn(i, batch);
      batch = isPromise(result) ? await this.settleStage(i, result) : result;
    }
    return batch;
  }

  /** Remembers the last chain that went asynchronous: the next batch waits for it past its first stage. */
  private track(chain: Promise<Message[]>): Promise<Message[]> {
    const tail = chain.then(
      () => {},
      () => {},
    );
    this.chainTail = tail;
    void tail.then(() => {
      if (this.chainTail === tail) this.chainTail = undefined;
    });
    return chain;
  }

  /** Stage i's answer to a batch; a failure is reported and loses the batch, an answer given now is counted. */
  private processIn(i: number, batch: Message[]): Message[] | Promise<Message[]> {
    const stage = this.middleware[i]!;
    stage.stats.add('in', batch.length);
    let result: Message[] | Promise<Message[]>;
    try {
      result = stage.instance!.process(batch);
    } catch (error) {
      this.fail(error, stage.use.definition.name, 'transform');
      result = [];
    }
    if (!isPromise(result)) stage.stats.add('out', result.length);
    return result;
  }

  private async settleStage(i: number, pending: Promise<Message[]>): Promise<Message[]> {
    const stage = this.middleware[i]!;
    let batch: Message[];
    try {
      batch = await pending;
    } catch (error) {
      this.fail(error, stage.use.definition.name, 'transform');
      batch = [];
    }
    stage.stats.add('out', batch.length);
    return batch;
  }

  private async deliverInFlight({ item, result }: InFlight): Promise<void> {
    this.deliver(item, isPromise(result) ? await result : result);
  }

  /** Hands a batch that went through the chain to the outputs. */
  private deliver(item: BusItem, batch: Message[]): void {
    if (batch.length > 0) this.fanOut(batch, item.source);
    // A replayed response has been through the whole chain: its session's next request may go.
    const gate = this.sessionGate;
    if (gate && item.source) {
      const now = Date.now();
      for (const message of item.batch) {
        if (message.kind === 'replayed-response') this.releaseSessions(gate.settle(message.id, now));
      }
    }
  }

  private fanOut(batch: Message[], source?: OutputStage): void {
    const outputs = source ? this.outputs.filter((o) => o !== source) : this.outputs;
    if (this.settings.splitOutput && outputs.length > 1) {
      // Requests are dealt round-robin; responses go everywhere (an output that ignores them skips them).
      const shares: Message[][] = outputs.map(() => []);
      const bySession = this.settings.recognizeTcpSessions;
      for (const message of batch) {
        if (message.kind === 'request' && bySession) {
          // Whole sessions are dealt: every request of one connection goes to the same output.
          shares[sessionShareOf(message.id, outputs.length)]!.push(message);
        } else if (message.kind === 'request') {
          shares[this.nextSplit]!.push(message);
          this.nextSplit = (this.nextSplit + 1) % outputs.length;
        } else {
          for (const share of shares) share.push(message);
        }
      }
      for (const [i, output] of outputs.entries()) this.offer(output, shares[i]!);
      return;
    }
    for (const output of outputs) this.offer(output, batch);
  }

  private offer(output: OutputStage, batch: Message[]): void {
    if (batch.length === 0) return;
    output.stats.add('in', batch.length);
    if (output.queue.isClosed) {
      output.stats.add('dropped', batch.length); // arrived after this output finished draining
      return;
    }
    const admitted = output.gate ? admit(output.gate, batch, output.stats) : batch;
    if (admitted.length === 0) return;
    // Live traffic is never held up by a slow output: the overflow is dropped and counted.
    if (!output.queue.hasRoom() && !this.shouldBlock()) {
      output.stats.add('dropped', admitted.length);
      return;
    }
    output.queue.offer(admitted);
  }

  private async runOutput(output: OutputStage): Promise<void> {
    const instance = output.instance!;
    for (;;) {
      const batch = await output.queue.take();
      if (!batch) return;
      try {
        await instance.write(batch);
        output.stats.add('out', batch.length);
      } catch (error) {
        this.fail(error, output.use.definition.name, 'write');
        output.stats.add('dropped', batch.length + output.queue.clear());
      }
    }
  }

  /**
   * Delivers everything already read: middleware flushes in order, then the outputs that emit
   * (output-http's replayed responses flow back through the chain), then all the others.
   */
  private async drain(consumer: Promise<void>): Promise<void> {
    const steps = async () => {
      await this.bus.idle();
      // Held requests still go out: their sessions' responses (or the timeout) release them.
      while (this.sessionGate && this.sessionGate.held > 0) {
        await this.sessionsReleased(0);
        await this.bus.idle();
      }
      for (const stage of this.middleware) {
        await this.call(stage, 'flush', () => stage.instance?.flush?.());
        await this.bus.idle();
      }
      const emitters = this.outputs.filter((o) => o.instance?.emitsMessages);
      const others = this.outputs.filter((o) => !o.instance?.emitsMessages);
      for (const group of [emitters, others]) {
        for (const output of group) output.queue.close();
        await Promise.all(group.map((o) => o.task));
        await Promise.all(group.map((o) => this.call(o, 'flush', () => o.instance?.flush?.())));
        await this.bus.idle();
      }
    };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.settings.drainTimeoutMs);
      timer.unref?.();
    });
    // A stop by signal or --exit-after gets the drain deadline; ended inputs drain until done.
    const outcome = this.stopReason === 'inputs-ended' ? await steps() : await Promise.race([steps(), deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      const logger = createLogger('pipeline', this.settings.logLevel);
      logger.warn(`outputs did not drain within ${this.settings.drainTimeoutMs} ms; aborting what is still in flight`);
      for (const output of this.outputs) output.stats.add('dropped', output.queue.clear());
    }
    for (const output of this.outputs) output.queue.close();
    this.bus.close();
    await consumer;
  }

  private async call(stage: Stage<unknown>, phase: string, fn: () => unknown): Promise<void> {
    try {
      await fn();
    } catch (error) {
      this.fail(error, stage.use.definition.name, phase);
    }
  }

  /** Inputs, then middleware, then outputs; each close is awaited, a failure is recorded and the rest go on. */
  private async closeAll(): Promise<void> {
    this.abort.abort();
    clearInterval(this.sessionTimer);
    for (const group of [this.inputs, this.middleware, this.outputs] as Stage<{ close?(): Promise<void> }>[][]) {
      await Promise.all(group.map((stage) => this.call(stage, 'close', () => stage.instance?.close?.())));
    }
  }
}

function admit(gate: RateGate, batch: Message[], stats: InstanceStats): Message[] {
  const admitted = batch.filter(() => gate.admit());
  // Messages held back by a rate suffix are counted apart from drops: the user asked for them to go.
  if (admitted.length !== batch.length) stats.add('rate-limited', batch.length - admitted.length);
  return admitted;
}
