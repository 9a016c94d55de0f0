import { connect, type Socket } from 'node:net';

export interface BinaryTarget {
  host: string;
  port: number;
  /** Connecting, and waiting for the first byte of a response. */
  timeoutMs: number;
  /** A response ends when nothing more arrives for this long (binary protocols have no framing). */
  responseIdleMs: number;
  /** Response bytes kept; the rest is read and discarded. */
  responseBufferBytes: number;
}

export type ExchangeFailure = 'refused' | 'reset' | 'timeout' | 'error';

export class BinaryExchangeError extends Error {
  constructor(
    readonly reason: ExchangeFailure,
    message: string,
  ) {
    super(message);
  }
}

interface Collector {
  /** The connection the response comes on: events of an older one must not end it. */
  socket: Socket;
  chunks: Buffer[];
  bytes: number;
  onData: () => void;
  done: (error?: BinaryExchangeError) => void;
}

/**
 * One connection to the target of --output-binary, opened on first use and again after it fails.
 * `send` writes a payload; `exchange` writes one and collects what the target answers until it
 * goes quiet or closes. Bytes that arrive with no exchange waiting are read and dropped.
 */
export class BinaryConnection {
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private collector: Collector | undefined;
  private isClosed = false;

  constructor(private readonly target: BinaryTarget) {}

  async send(payload: Uint8Array): Promise<void> {
    const socket = await this.open();
    await new Promise<void>((resolve, reject) => {
      socket.write(payload, (error) => (error ? reject(classify(error)) : resolve()));
    });
  }

  /** Writes `payload` and resolves with the response bytes (at most responseBufferBytes). */
  async exchange(payload: Uint8Array): Promise<Buffer> {
    const socket = await this.open();
    const { timeoutMs, responseIdleMs } = this.target;
    let timer: NodeJS.Timeout | undefined;
    const collector: Collector = { socket, chunks: [], bytes: 0, onData: () => {}, done: () => {} };
    const finished = new Promise<void>((resolve, reject) => {
      collector.done = (error) => {
        clearTimeout(timer);
        if (this.collector !== collector) return;
        this.collector = undefined;
        if (!error) return resolve();
        // A late answer would be taken for the next request's: start again on a new connection.
        this.drop();
        reject(error);
      };
      // The first byte may take the whole timeout; after it, a quiet gap ends the response.
      collector.onData = () => {
        clearTimeout(timer);
        timer = setTimeout(() => collector.done(), responseIdleMs);
      };
      timer = setTimeout(() => collector.done(new BinaryExchangeError('timeout', `no response within ${timeoutMs} ms`)), timeoutMs);
    });
    this.collector = collector;
    socket.write(payload, (error) => {
      if (error) collector.done(classify(error));
    });
    await finished;
    return Buffer.concat(collector.chunks, collector.bytes);
  }

  close(): void {
    this.isClosed = true;
    this.drop();
  }

  private open(): Promise<Socket> {
    if (this.isClosed) return Promise.reject(new BinaryExchangeError('error', 'closed'));
    if (this.socket) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host: this.target.host, port: this.target.port });
      let isConnecting = true;
      const fail = (error: BinaryExchangeError) => {
        if (!isConnecting) return;
        isConnecting = false;
        this.connecting = undefined;
        reject(error);
      };
      socket.setNoDelay(true);
      socket.setTimeout(this.target.timeoutMs, () =>
        socket.destroy(new BinaryExchangeError('timeout', `no connection within ${this.target.timeoutMs} ms`)),
      );
      socket.once('connect', () => {
        // Closed while connecting: nothing more is sent.
        if (this.isClosed) return socket.destroy(new BinaryExchangeError('error', 'closed'));
        isConnecting = false;
        socket.setTimeout(0);
        this.socket = socket;
        this.connecting = undefined;
        resolve(socket);
      });
      socket.on('data', (chunk: Buffer) => this.receive(socket, chunk));
      socket.on('error', (error) => {
        fail(classify(error));
        this.collectorOn(socket)?.done(classify(error));
      });
      socket.on('close', () => {
        fail(new BinaryExchangeError('error', 'the connection closed before it was made'));
        if (this.socket === socket) this.socket = undefined;
        // The target closing the connection ends its response (one-shot protocols answer and close).
        this.collectorOn(socket)?.done();
      });
    });
    return this.connecting;
  }

  private collectorOn(socket: Socket): Collector | undefined {
    return this.collector?.socket === socket ? this.collector : undefined;
  }

  private receive(socket: Socket, chunk: Buffer): void {
    const collector = this.collectorOn(socket);
    if (!collector) return;
    const room = this.target.responseBufferBytes - collector.bytes;
    if (room > 0) {
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      collector.chunks.push(kept);
      collector.bytes += kept.length;
    }
    collector.onData();
  }

  private drop(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
  }
}

function classify(error: Error): BinaryExchangeError {
  if (error instanceof BinaryExchangeError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return new BinaryExchangeError('refused', error.message);
  if (code === 'ECONNRESET' || code === 'EPIPE') return new BinaryExchangeError('reset', error.message);
  return new BinaryExchangeError('error', error.message);
}
