import {
  defineOutput,
  encodeRecord,
  parseSizeBytes,
  RepriseError,
  type Message,
  type OutputInstance,
  type PluginContext,
  type OptionsOf,
  type OptionsSchema,
} from '@reprise/core';
import { formatTcpAddress, parseTcpAddress } from './address.js';
import { RelayConnection, type RelayTarget } from './relay-connection.js';
import { stickyWorkerIndex } from './session-hash.js';

const COMPONENT = 'output-tcp';
/** GoReplay's dial timeout. */
const CONNECT_TIMEOUT_MS = 5000;
/** GoReplay's --output-tcp-stats interval. */
const STATS_INTERVAL_MS = 5000;

const outputTcpOptions = {
  type: 'object',
  additionalProperties: false,
  properties: {
    secure: {
      type: 'boolean',
      default: false,
      description: 'Connect with TLS (the aggregator uses --input-tcp-secure); its certificate is verified unless --output-tcp-skip-verify',
      examples: [true],
    },
    skipVerify: {
      type: 'boolean',
      default: false,
      description: "With --output-tcp-secure, accept any certificate (self-signed, another host's)",
      examples: [true],
    },
    workers: {
      type: 'integer',
      minimum: 1,
      maximum: 1000,
      default: 10,
      description: 'Connections kept open to the aggregator; messages are dealt round-robin, or by session with --output-tcp-sticky',
      examples: [10, 1],
    },
    sticky: {
      type: 'boolean',
      default: false,
      description:
        "Send every message of a TCP session (the id's first 16 hex digits) on the same connection, so the aggregator receives a session in order",
      examples: [true],
    },
    stats: {
      type: 'boolean',
      default: false,
      description: 'Log the connections and buffered bytes every 5 seconds',
      examples: [true],
    },
    bufferSize: {
      type: 'string',
      format: 'size',
      default: '4mb',
      description:
        'Records buffered per connection while the aggregator is slow or unreachable; when full, writing waits (a live input then drops and counts at the queue)',
      examples: ['4mb', '64kb'],
    },
  },
} as const satisfies OptionsSchema;

export type OutputTcpOptions = OptionsOf<typeof outputTcpOptions>;

export const outputTcp = defineOutput({
  kind: 'output',
  name: COMPONENT,
  summary: "Send requests and original responses to another reprise or GoReplay instance (--input-tcp), in GoReplay's framing",
  value: {
    placeholder: 'address',
    description: 'The aggregator, HOST:PORT',
    example: 'replay.local:28020',
  },
  options: outputTcpOptions,
  create(value, options, ctx) {
    let host: string;
    let port: number;
    try {
      ({ host = '', port } = parseTcpAddress(value ?? '', { needsHost: true }));
    } catch (error) {
      throw new RepriseError('RPR_CONFIG_INVALID', (error as Error).message, { plugin: COMPONENT, phase: 'create' });
    }
    if (options.skipVerify && !options.secure) {
      throw new RepriseError('RPR_CONFIG_INVALID', 'skip-verify only applies to TLS: add --output-tcp-secure', {
        plugin: COMPONENT,
        option: 'skipVerify',
        phase: 'create',
      });
    }
    const target: RelayTarget = {
      host,
      port,
      tls: options.secure ? { rejectUnauthorized: !options.skipVerify } : undefined,
      maxBufferedBytes: parseSizeBytes(options.bufferSize, 'output-tcp-buffer-size'),
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    };
    return new TcpRelayOutput(target, options, ctx);
  },
});

class TcpRelayOutput implements OutputInstance {
  private readonly connections: RelayConnection[];
  private nextWorker = 0;
  private readonly statsTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly target: RelayTarget,
    private readonly options: Readonly<OutputTcpOptions>,
    private readonly ctx: PluginContext,
  ) {
    const address = formatTcpAddress(target);
    this.connections = Array.from(
      { length: options.workers },
      (_, i) => new RelayConnection(target, options.workers === 1 ? address : `${address} #${i + 1}`, ctx),
    );
    if (options.stats) {
      this.statsTimer = setInterval(() => this.logStats(), STATS_INTERVAL_MS);
      this.statsTimer.unref();
    }
  }

  async write(batch: readonly Message[]): Promise<void> {
    for (const message of batch) {
      // GoReplay relays what was captured (types 1 and 2), never replayed responses.
      if (message.kind === 'replayed-response') {
        this.ctx.stats.add('skipped');
        continue;
      }
      const record = encodeRecord(message) as Buffer;
      const connection = this.pick(message, record.length);
      if (!connection.hasRoomFor(record.length)) await connection.waitForRoom(record.length);
      if (!connection.enqueue(record)) {
        this.ctx.stats.add('failed');
        this.ctx.stats.add('unsent');
      }
    }
  }

  async flush(): Promise<void> {
    await Promise.all(this.connections.map((c) => c.drain()));
  }

  async close(): Promise<void> {
    clearInterval(this.statsTimer);
    for (const connection of this.connections) connection.close();
  }

  /**
   * Sticky: the session's connection. Otherwise round-robin, skipping connections that are down
   * or full while another can take the record, so one dead connection does not hold the rest up.
   */
  private pick(message: Message, bytes: number): RelayConnection {
    const count = this.connections.length;
    if (this.options.sticky) return this.connections[stickyWorkerIndex(message.id, count)]!;
    const start = this.nextWorker;
    this.nextWorker = (start + 1) % count;
    let fallback: RelayConnection | undefined;
    for (let i = 0; i < count; i++) {
      const connection = this.connections[(start + i) % count]!;
      if (!connection.hasRoomFor(bytes)) continue;
      if (connection.isConnected) return connection;
      fallback ??= connection;
    }
    return fallback ?? this.connections[start]!;
  }

  private logStats(): void {
    const open = this.connections.filter((c) => c.isConnected).length;
    const buffered = this.connections.reduce((sum, c) => sum + c.bufferedBytes, 0);
    this.ctx.logger.info(
      `connections ${open}/${this.connections.length} open, buffered ${buffered} bytes ` +
        `(at most ${this.target.maxBufferedBytes} per connection)`,
    );
  }
}
