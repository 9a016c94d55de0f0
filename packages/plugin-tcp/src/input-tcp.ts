import { createServer as createPlainServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import {
  defineInput,
  parseSizeBytes,
  RepriseError,
  type GorCorruption,
  type InputInstance,
  type Message,
  type PluginContext,
  type OptionsOf,
  type OptionsSchema,
} from '@reprise/core';
import { formatTcpAddress, parseTcpAddress, type TcpAddress } from './address.js';
import { RecordStream } from './record-stream.js';
import { readPemFile } from './tls-files.js';

const COMPONENT = 'input-tcp';
/** Messages per batch handed to the pipeline. */
const BATCH_SIZE = 256;
/** Messages waiting for the pipeline before every connection is paused (TCP then holds the senders back). */
const MAX_QUEUED_MESSAGES = 8192;
/** Corrupt records logged one by one; after that they are only counted. */
const MAX_CORRUPT_LOGS = 20;

const inputTcpOptions = {
  type: 'object',
  additionalProperties: false,
  properties: {
    secure: {
      type: 'boolean',
      default: false,
      description:
        'Accept TLS connections only (senders use --output-tcp-secure); needs --input-tcp-certificate and --input-tcp-certificate-key',
      examples: [true],
    },
    certificate: {
      type: 'string',
      description: 'PEM certificate (chain) file for --input-tcp-secure',
      examples: ['/etc/reprise/relay.crt'],
    },
    certificateKey: {
      type: 'string',
      description: 'PEM private key file for --input-tcp-secure',
      examples: ['/etc/reprise/relay.key'],
    },
    maxRecordSize: {
      type: 'string',
      format: 'size',
      default: '64mb',
      description: 'Largest record accepted; a connection that sends more without a record separator is closed and counted',
      examples: ['64mb', '1gb'],
    },
  },
} as const satisfies OptionsSchema;

export type InputTcpOptions = OptionsOf<typeof inputTcpOptions>;

export const inputTcp = defineInput({
  kind: 'input',
  name: COMPONENT,
  summary: "Receive messages from other reprise or GoReplay instances (--output-tcp) over TCP, in GoReplay's framing",
  value: {
    placeholder: 'address',
    description: 'Where to listen: :PORT on every interface, or HOST:PORT (:0 picks a free port, which is logged)',
    example: ':28020',
  },
  options: inputTcpOptions,
  async create(value, options, ctx) {
    let address: TcpAddress;
    try {
      address = parseTcpAddress(value ?? '', { needsHost: false });
    } catch (error) {
      throw new RepriseError('RPR_CONFIG_INVALID', (error as Error).message, { plugin: COMPONENT, phase: 'create' });
    }
    const hasCertificate = options.certificate !== undefined || options.certificateKey !== undefined;
    if (hasCertificate && !options.secure) {
      throw new RepriseError('RPR_CONFIG_INVALID', 'a certificate is given but TLS is off: add --input-tcp-secure', {
        plugin: COMPONENT,
        option: 'secure',
        phase: 'create',
      });
    }
    const tls = options.secure
      ? {
          cert: readPemFile(options.certificate, COMPONENT, 'certificate'),
          key: readPemFile(options.certificateKey, COMPONENT, 'certificateKey'),
        }
      : undefined;
    const listener = new RelayListener(parseSizeBytes(options.maxRecordSize, 'input-tcp-max-record-size'), ctx);
    await listener.listen(address, tls);
    return listener;
  },
});

class RelayListener implements InputInstance {
  readonly isLive = true;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly queue: Message[][] = [];
  private queuedMessages = 0;
  private current: Message[] = [];
  private isFlushScheduled = false;
  private isPaused = false;
  private isStopped = false;
  private wake: (() => void) | undefined;
  private corruptLogged = 0;

  constructor(
    private readonly maxRecordBytes: number,
    private readonly ctx: PluginContext,
  ) {
    ctx.signal.addEventListener('abort', () => this.stop(), { once: true });
  }

  async listen(address: TcpAddress, tls: { cert: Buffer; key: Buffer } | undefined): Promise<void> {
    const onConnection = (socket: Socket) => this.accept(socket);
    const server = tls ? createTlsServer({ cert: tls.cert, key: tls.key }, onConnection) : createPlainServer(onConnection);
    server.on('tlsClientError', (error: Error, socket: Socket) => {
      this.ctx.stats.add('tls-failed');
      this.ctx.logger.warn(`TLS handshake with ${socket.remoteAddress}:${socket.remotePort} failed: ${error.message}`);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        reject(
          new RepriseError('RPR_INPUT_LISTEN', `cannot listen on ${formatTcpAddress(address)}: ${error.message}`, {
            plugin: COMPONENT,
            phase: 'create',
            cause: error,
          }),
        );
      });
      server.listen({ host: address.host, port: address.port }, resolve);
    });
    server.on('error', (error) => this.ctx.logger.error(`listener: ${error.message}`));
    this.server = server;
    const bound = server.address();
    const where = typeof bound === 'object' && bound ? formatTcpAddress({ host: bound.address, port: bound.port }) : String(bound);
    this.ctx.logger.info(`listening on ${where}${tls ? ' (TLS)' : ''}`);
  }

  async *read(): AsyncIterable<Message[]> {
    for (;;) {
      const batch = this.queue.shift();
      if (batch) {
        this.queuedMessages -= batch.length;
        if (this.isPaused && this.queuedMessages < MAX_QUEUED_MESSAGES / 2) this.setPaused(false);
        yield batch;
        continue;
      }
      if (this.isStopped) {
        if (this.current.length === 0) return;
        this.flushCurrent();
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  /** Stops accepting and closes every connection; what was received is still delivered by read(). */
  stop(): void {
    if (this.isStopped) return;
    this.isStopped = true;
    this.server?.close();
    for (const socket of this.sockets) socket.destroy();
    this.wake?.();
  }

  async close(): Promise<void> {
    this.stop();
    const server = this.server;
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    if (this.isStopped) {
      socket.destroy();
      return;
    }
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    this.sockets.add(socket);
    this.ctx.stats.add('connections');
    this.ctx.logger.debug(`connection from ${peer}`);
    if (this.isPaused) socket.pause();
    const stream = new RecordStream(this.maxRecordBytes);
    const messages: Message[] = [];
    const corrupt: GorCorruption[] = [];
    const deliver = () => {
      for (const c of corrupt) this.reportCorrupt(c, peer);
      for (const m of messages) this.add(m);
      messages.length = 0;
      corrupt.length = 0;
    };
    socket.on('data', (chunk: Buffer) => {
      const isWithinLimit = stream.push(chunk, messages, corrupt);
      deliver();
      if (!isWithinLimit) {
        this.ctx.stats.add('failed');
        this.ctx.stats.add('oversized');
        this.ctx.logger.warn(
          `${peer}: no record separator in ${stream.pendingBytes} bytes from offset ${stream.position} ` +
            `(more than --input-tcp-max-record-size): closing the connection`,
        );
        socket.destroy();
      }
    });
    socket.on('error', (error) => this.ctx.logger.debug(`${peer}: ${error.message}`));
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (stream.pendingBytes <= this.maxRecordBytes) stream.end(messages, corrupt);
      deliver();
      this.ctx.logger.debug(`${peer} closed`);
    });
  }

  private add(message: Message): void {
    this.current.push(message);
    if (this.current.length >= BATCH_SIZE) this.flushCurrent();
    else if (!this.isFlushScheduled) {
      this.isFlushScheduled = true;
      setImmediate(() => this.flushCurrent());
    }
  }

  private flushCurrent(): void {
    this.isFlushScheduled = false;
    if (this.current.length === 0) return;
    this.queue.push(this.current);
    this.queuedMessages += this.current.length;
    this.current = [];
    if (!this.isPaused && this.queuedMessages >= MAX_QUEUED_MESSAGES) this.setPaused(true);
    this.wake?.();
  }

  /** Pausing the sockets lets TCP flow control slow the senders down instead of buffering here. */
  private setPaused(isPaused: boolean): void {
    this.isPaused = isPaused;
    for (const socket of this.sockets) {
      if (isPaused) socket.pause();
      else socket.resume();
    }
  }

  private reportCorrupt(corruption: GorCorruption, peer: string): void {
    this.ctx.stats.add('failed');
    this.ctx.stats.add('corrupt');
    if (this.corruptLogged < MAX_CORRUPT_LOGS) {
      this.corruptLogged++;
      this.ctx.logger.warn(
        `${peer} at byte ${corruption.offset}: skipped a corrupt record (${corruption.lengthBytes} bytes): ${corruption.reason}`,
      );
      if (this.corruptLogged === MAX_CORRUPT_LOGS) this.ctx.logger.warn('further corrupt records are only counted (corrupt=)');
    }
  }
}
