/**
 * The main-thread side of live capture: starts the capture (a worker thread, or a child process for
 * cap), turns its packed batches into message batches for `read()`, and forwards its counters to ctx.stats.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { RepriseError, type Message, type PluginContext } from '@reprise/core';
import { decodeBatch } from './batch-codec.js';
import { FIFO_READER_WORKER_OPTIONS } from './fifo-reader.js';
import { LOSS_COUNTERS, type CounterName } from './capture-counters.js';
import type { FromCapture, LiveCaptureConfig, ToCapture } from './capture-protocol.js';

const COMPONENT = 'input-raw';
/** Batches held for a reader that is not reading; beyond this the capture is ahead of the pipeline. */
const MAX_QUEUED_BATCHES = 4096;
/** How long a capture may take to hand over its last packets once asked to stop. */
const STOP_DEADLINE_MS = 10_000;
/**
 * The capture thread's young generation, fixed at about the size V8 starts it with: left to grow,
 * it doubled a few seconds into a capture, a step in memory for no gain (docs/BENCHMARKS.md).
 */
const CAPTURE_YOUNG_GENERATION_MB = 12;

function entry(name: 'capture-process' | 'capture-worker'): { path: string; execArgv: string[] } {
  // The built entry, whether this module runs built (dist) or from its sources (src, in tests): a
  // process or worker starts from JavaScript, with no loader of its own to set up.
  const path = fileURLToPath(new URL(`../dist/${name}.js`, import.meta.url));
  // Node's own flags (memory limits, profiling) apply to the capture process too.
  return { path, execArgv: process.execArgv.filter((a) => !a.startsWith('--test')) };
}

/** Where the capture runs: a child process (cap needs a main thread) or a worker thread. */
interface CaptureRunner {
  send(message: ToCapture): void;
  kill(): void;
  forceKill(): void;
  readonly hasExited: boolean;
  exited: Promise<void>;
}

export class LiveSource {
  private runner: CaptureRunner | undefined;
  private readonly queue: Message[][] = [];
  private wake: (() => void) | undefined;
  private isEnded = false;
  private failure: RepriseError | undefined;
  private isStopping = false;
  private workerError: Error | undefined;
  /** tcpdump processes: if reprise exits without stopping them, they would capture on, orphaned. */
  private helperPids: number[] = [];
  private helperDirs: string[] = [];
  private readonly killHelpers = () => {
    for (const pid of this.helperPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const dir of this.helperDirs) rmSync(dir, { recursive: true, force: true });
  };
  devices: Array<{ name: string; filter: string }> = [];

  constructor(
    private readonly config: LiveCaptureConfig,
    private readonly ctx: PluginContext,
  ) {}

  /** Starts the capture; resolves once every device is open (so no packet is missed after it). */
  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let isReady = false;
      const onMessage = (m: FromCapture) => {
        switch (m.type) {
          case 'ready':
            this.devices = m.devices;
            this.helperPids = m.pids;
            this.helperDirs = m.tempDirs;
            if (m.pids.length > 0) process.once('exit', this.killHelpers);
            isReady = true;
            resolve();
            break;
          case 'batch':
            this.addCounters(m.counters);
            if (m.bytes.length > 4) this.push(decodeBatch(m.bytes));
            break;
          case 'error': {
            const error = toRepriseError(m.kind, m.message, this.config.engine);
            if (!isReady) reject(error);
            else this.fail(error);
            this.runner?.kill();
            break;
          }
          case 'end':
            this.addCounters(m.counters);
            this.runner?.kill();
            break;
        }
      };
      const onExit = (how: string | number | null) => {
        if (!isReady) {
          const why = this.workerError ? `: ${this.workerError.message}` : '';
          reject(
            new RepriseError('RPR_PLUGIN_FAILED', `the capture exited (${how}) before capturing${why}`, {
              plugin: COMPONENT,
              phase: 'start',
              cause: this.workerError,
            }),
          );
        } else if (!this.isStopping && how !== 0) {
          this.fail(new RepriseError('RPR_PLUGIN_FAILED', `the capture exited (${how})`, { plugin: COMPONENT, phase: 'read' }));
        }
        this.isEnded = true;
        this.wake?.();
      };
      this.runner = this.config.engine === 'libpcap' ? this.startProcess(onMessage, onExit) : this.startWorker(onMessage, onExit);
    });
  }

  private startProcess(onMessage: (m: FromCapture) => void, onExit: (how: string | number | null) => void): CaptureRunner {
    const { path, execArgv } = entry('capture-process');
    const child: ChildProcess = fork(path, [], { serialization: 'advanced', execArgv, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    this.routeStderr(child.stderr!);
    let hasExited = false;
    const exited = new Promise<void>((resolve) =>
      child.on('exit', (code, signal) => {
        hasExited = true;
        onExit(signal ?? code);
        resolve();
      }),
    );
    child.on('message', onMessage);
    child.send({ type: 'start', config: this.config } satisfies ToCapture);
    return {
      send: (m) => {
        if (child.connected) child.send(m);
      },
      kill: () => {
        // A capture process that does not finish in time is killed: close() must not hang.
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        timer.unref();
        child.once('exit', () => clearTimeout(timer));
      },
      forceKill: () => child.kill('SIGKILL'),
      get hasExited() {
        return hasExited;
      },
      exited,
    };
  }

  private startWorker(onMessage: (m: FromCapture) => void, onExit: (how: string | number | null) => void): CaptureRunner {
    const { path } = entry('capture-worker');
    const resourceLimits = { maxYoungGenerationSizeMb: CAPTURE_YOUNG_GENERATION_MB };
    const worker = new Worker(path, { workerData: this.config, stderr: false, resourceLimits, ...FIFO_READER_WORKER_OPTIONS });
    let hasExited = false;
    const exited = new Promise<void>((resolve) =>
      worker.on('exit', (code) => {
        hasExited = true;
        onExit(this.isStopping ? 0 : code);
        resolve();
      }),
    );
    worker.on('message', onMessage);
    worker.on('error', (error) => {
      this.workerError = error;
      this.fail(new RepriseError('RPR_PLUGIN_FAILED', error.message, { plugin: COMPONENT, phase: 'read', cause: error }));
    });
    return {
      send: (m) => worker.postMessage(m),
      kill: () => {
        // Let the last messages already posted arrive first.
        setImmediate(() => void worker.terminate());
      },
      forceKill: () => void worker.terminate(),
      get hasExited() {
        return hasExited;
      },
      exited,
    };
  }

  /** libpcap and cap print warnings straight to stderr: route them through the logger instead. */
  private routeStderr(stream: NodeJS.ReadableStream): void {
    stream.setEncoding('utf8');
    let pendingText = '';
    stream.on('data', (text: string) => {
      pendingText += text;
      const lines = pendingText.split('\n');
      pendingText = lines.pop()!;
      for (const line of lines) {
        if (line.trim() === '') continue;
        if (/This may not actually work/.test(line)) this.ctx.logger.debug(line);
        else this.ctx.logger.warn(line);
      }
    });
  }

  private addCounters(counters: Record<string, number>): void {
    let failed = 0;
    for (const [name, n] of Object.entries(counters)) {
      if (n === 0) continue;
      this.ctx.stats.add(name, n);
      if (LOSS_COUNTERS.has(name as CounterName)) failed += n;
    }
    if (failed > 0) this.ctx.stats.add('failed', failed);
  }

  private push(batch: Message[]): void {
    if (this.queue.length >= MAX_QUEUED_BATCHES) {
      this.ctx.stats.add('queue-dropped', batch.length);
      this.ctx.stats.add('failed', batch.length);
      return;
    }
    this.queue.push(batch);
    this.wake?.();
  }

  private fail(error: RepriseError): void {
    this.failure ??= error;
    this.wake?.();
  }

  async *read(): AsyncIterable<Message[]> {
    for (;;) {
      const batch = this.queue.shift();
      if (batch) {
        yield batch;
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.isEnded) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }

  /** Stops capturing; messages completed so far (and flushed at the end) still come out of read(). */
  stop(): void {
    if (this.isStopping || !this.runner) return;
    this.isStopping = true;
    const runner = this.runner;
    runner.send({ type: 'stop' });
    // A capture that does not finish in time is ended: close() must not hang.
    const timer = setTimeout(() => runner.forceKill(), STOP_DEADLINE_MS);
    timer.unref();
    void runner.exited.then(() => clearTimeout(timer));
  }

  async close(): Promise<void> {
    this.stop();
    const runner = this.runner;
    if (runner && !runner.hasExited) await runner.exited;
    process.off('exit', this.killHelpers);
    // Captured but never read (the pipeline stopped pulling): lost, so counted.
    let unread = 0;
    for (const batch of this.queue) unread += batch.length;
    this.queue.length = 0;
    if (unread > 0) {
      this.ctx.stats.add('queue-dropped', unread);
      this.ctx.stats.add('failed', unread);
    }
  }
}

function toRepriseError(kind: string, message: string, engine: LiveCaptureConfig['engine']): RepriseError {
  if (kind === 'permission') {
    // The tcpdump engine captures in the tcpdump process: that binary is the one that needs the capability.
    const grants =
      engine === 'tcpdump'
        ? '  sudo setcap cap_net_raw,cap_net_admin=eip $(which tcpdump)   (tcpdump engine, the default)\n' +
          '  sudo setcap cap_net_raw,cap_net_admin=eip $(which node)      (--input-raw-engine libpcap)'
        : '  sudo setcap cap_net_raw,cap_net_admin=eip $(which node)';
    return new RepriseError(
      'RPR_CAPTURE_PERMISSION',
      `${message}\nPacket capture needs root or the CAP_NET_RAW capability. Run as root (sudo), or grant it once:\n${grants}`,
      { plugin: COMPONENT, phase: 'start' },
    );
  }
  if (kind === 'device' || kind === 'tool') return new RepriseError('RPR_INPUT_NOT_FOUND', message, { plugin: COMPONENT, phase: 'start' });
  if (kind === 'filter') return new RepriseError('RPR_CONFIG_INVALID', message, { plugin: COMPONENT, option: 'bpfFilter', phase: 'start' });
  if (kind === 'monitor')
    return new RepriseError('RPR_CONFIG_INVALID', `${message} (--input-raw-monitor is for wireless devices that support it)`, {
      plugin: COMPONENT,
      option: 'monitor',
      phase: 'start',
    });
  if (kind === 'timestamp')
    return new RepriseError('RPR_CONFIG_INVALID', message, { plugin: COMPONENT, option: 'timestampType', phase: 'start' });
  return new RepriseError('RPR_PLUGIN_FAILED', message, { plugin: COMPONENT, phase: 'start' });
}
