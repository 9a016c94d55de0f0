import {
  defineOutput,
  nowNanoseconds,
  parseDurationMs,
  parseSizeBytes,
  RepriseError,
  type Message,
  type OutputInstance,
  type PluginContext,
  type OptionsOf,
  type OptionsSchema,
} from '@reprise/core';
import { parseTcpAddress } from './address.js';
import { BinaryConnection, BinaryExchangeError, type BinaryTarget } from './binary-connection.js';
import { previewBytes } from './preview-bytes.js';

const COMPONENT = 'output-binary';
/** Requests waiting for a worker before writing waits (GoReplay's queue holds 1000). */
const MAX_WAITING = 1000;
/** GoReplay's dynamic pool starts with 10 workers; a fixed pool of 10 stands in for it. */
const DEFAULT_WORKERS = 10;

const outputBinaryOptions = {
  type: 'object',
  additionalProperties: false,
  properties: {
    workers: {
      type: 'integer',
      minimum: 0,
      maximum: 1000,
      default: DEFAULT_WORKERS,
      description: 'Connections to the target, each sending one request at a time (0: the default, 10)',
      examples: [10, 1],
    },
    timeout: {
      type: 'string',
      format: 'duration',
      default: '5s',
      description: 'Longest wait to connect, and for the first byte of a response with --output-binary-track-response',
      examples: ['5s', '30s'],
    },
    trackResponse: {
      type: 'boolean',
      default: false,
      description:
        'Wait for what the target answers to each request and emit it as a replayed response (type 3, same id) to the other outputs',
      examples: [true],
    },
    debug: {
      type: 'boolean',
      default: false,
      description: 'Log every payload sent and every response received (their first bytes, escaped)',
      examples: [true],
    },
    responseBuffer: {
      type: 'string',
      format: 'size',
      default: '100kb',
      'x-flag': 'output-tcp-response-buffer',
      description:
        "Response bytes kept per request with --output-binary-track-response; the rest is read and discarded (GoReplay's flag name)",
      examples: ['100kb', '1mb'],
    },
    responseIdle: {
      type: 'string',
      format: 'duration',
      default: '100ms',
      description:
        'With --output-binary-track-response, a response ends when the target closes the connection or sends nothing more for this long ' +
        '(a binary protocol has no framing; GoReplay waits a fifth of the timeout)',
      examples: ['100ms', '1s'],
    },
  },
} as const satisfies OptionsSchema;

export type OutputBinaryOptions = OptionsOf<typeof outputBinaryOptions>;

export const outputBinary = defineOutput({
  kind: 'output',
  name: COMPONENT,
  summary: "Send the payload of each request, whatever its protocol, to a target over plain TCP (GoReplay Pro's binary replay)",
  value: {
    placeholder: 'address',
    description: 'The target, HOST:PORT',
    example: 'staging:9091',
  },
  options: outputBinaryOptions,
  create(value, options, ctx) {
    let host: string;
    let port: number;
    try {
      ({ host = '', port } = parseTcpAddress(value ?? '', { needsHost: true }));
    } catch (error) {
      throw new RepriseError('RPR_CONFIG_INVALID', (error as Error).message, { plugin: COMPONENT, phase: 'create' });
    }
    const target: BinaryTarget = {
      host,
      port,
      timeoutMs: parseDurationMs(options.timeout, 'output-binary-timeout'),
      responseIdleMs: parseDurationMs(options.responseIdle, 'output-binary-response-idle'),
      responseBufferBytes: parseSizeBytes(options.responseBuffer, 'output-tcp-response-buffer'),
    };
    return new BinaryOutput(target, options, ctx);
  },
});

class BinaryOutput implements OutputInstance {
  readonly emitsMessages: boolean;
  private readonly waiting: Message[] = [];
  private waitingHead = 0;
  private readonly connections: BinaryConnection[];
  private readonly idleWorkers: Array<(message: Message | undefined) => void> = [];
  private busyWorkers = 0;
  private isClosed = false;
  private changeWaiters: Array<() => void> = [];
  private readonly workers: Promise<void>[];

  constructor(
    target: BinaryTarget,
    private readonly options: Readonly<OutputBinaryOptions>,
    private readonly ctx: PluginContext,
  ) {
    this.emitsMessages = options.trackResponse;
    const count = options.workers === 0 ? DEFAULT_WORKERS : options.workers;
    this.connections = Array.from({ length: count }, () => new BinaryConnection(target));
    this.workers = this.connections.map((connection) => this.work(connection));
  }

  async write(batch: readonly Message[]): Promise<void> {
    for (const message of batch) {
      if (message.kind !== 'request') {
        this.ctx.stats.add('skipped');
        continue;
      }
      const idle = this.idleWorkers.pop();
      if (idle) {
        this.busyWorkers++;
        idle(message);
        continue;
      }
      this.waiting.push(message);
      while (this.waitingCount() >= MAX_WAITING && !this.isClosed) await this.nextChange();
    }
  }

  async flush(): Promise<void> {
    while ((this.waitingCount() > 0 || this.busyWorkers > 0) && !this.isClosed) await this.nextChange();
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    const unsent = this.waitingCount();
    if (unsent > 0) {
      this.ctx.stats.add('failed', unsent);
      this.ctx.stats.add('unsent', unsent);
    }
    this.waiting.length = 0;
    this.waitingHead = 0;
    for (const wake of this.idleWorkers.splice(0)) wake(undefined);
    for (const connection of this.connections) connection.close();
    this.notify();
    await Promise.all(this.workers);
  }

  private async work(connection: BinaryConnection): Promise<void> {
    for (;;) {
      const message = await this.take();
      if (!message) return;
      try {
        await this.deliver(connection, message);
      } finally {
        this.busyWorkers--;
        this.notify();
      }
    }
  }

  private take(): Promise<Message | undefined> {
    if (this.isClosed) return Promise.resolve(undefined);
    if (this.waitingHead < this.waiting.length) {
      const message = this.waiting[this.waitingHead]!;
      this.waiting[this.waitingHead++] = undefined as unknown as Message;
      if (this.waitingHead === this.waiting.length) {
        this.waiting.length = 0;
        this.waitingHead = 0;
      }
      // Busy from the hand-over on, so flush() never sees an empty queue and no busy worker in between.
      this.busyWorkers++;
      this.notify();
      return Promise.resolve(message);
    }
    return new Promise((resolve) => this.idleWorkers.push(resolve));
  }

  private async deliver(connection: BinaryConnection, message: Message): Promise<void> {
    if (this.options.debug) this.ctx.logger.info(`send ${message.id} (${message.payload.length} bytes): ${previewBytes(message.payload)}`);
    const startedAt = nowNanoseconds();
    const started = process.hrtime.bigint();
    try {
      if (!this.options.trackResponse) {
        await connection.send(message.payload);
        return;
      }
      const response = await connection.exchange(message.payload);
      const latency = process.hrtime.bigint() - started;
      if (this.options.debug) this.ctx.logger.info(`received for ${message.id} (${response.length} bytes): ${previewBytes(response)}`);
      this.ctx.emit([{ kind: 'replayed-response', id: message.id, timestamp: startedAt, latency, payload: response }]);
    } catch (error) {
      if (this.isClosed) return;
      const reason = error instanceof BinaryExchangeError ? error.reason : 'error';
      this.ctx.stats.add('failed');
      this.ctx.stats.add(reason);
      this.ctx.logger.debug(`${message.id}: ${(error as Error).message}`);
    }
  }

  private waitingCount(): number {
    return this.waiting.length - this.waitingHead;
  }

  private nextChange(): Promise<void> {
    return new Promise((resolve) => this.changeWaiters.push(resolve));
  }

  private notify(): void {
    const waiters = this.changeWaiters;
    this.changeWaiters = [];
    for (const wake of waiters) wake();
  }
}
