/**
 * The main-thread side of live capture: starts the capture process, turns its packed batches into
 * message batches for `read()`, and forwards its counters to ctx.stats.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RepriseError, type Message, type PluginContext } from '@reprise/core';
import { decodeBatch } from './batch-codec.js';
import { LOSS_COUNTERS, type CounterName } from './capture-counters.js';
import type { FromCapture, LiveCaptureConfig, ToCapture } from './capture-protocol.js';

const COMPONENT = 'input-raw';
/** Batches held for a reader that is not reading; beyond this the capture is ahead of the pipeline. */
const MAX_QUEUED_BATCHES = 4096;

function childEntry(): { path: string; execArgv: string[] } {
  // Under tsx (tests) the sources are .ts files; built, they are .js.
  const isTypeScript = import.meta.url.endsWith('.ts');
  const path = fileURLToPath(new URL(isTypeScript ? './capture-process.ts' : './capture-process.js', import.meta.url));
  return { path, execArgv: isTypeScript ? ['--import', 'tsx'] : [] };
}

export class LiveSource {
  private child: ChildProcess | undefined;
  private readonly queue: Message[][] = [];
  private wake: (() => void) | undefined;
  private isEnded = false;
  private failure: RepriseError | undefined;
  private isStopping = false;
  devices: Array<{ name: string; filter: string }> = [];

  constructor(
    private readonly config: LiveCaptureConfig,
    private readonly ctx: PluginContext,
  ) {}

  /** Starts the capture; resolves once every device is open (so no packet is missed after it). */
  start(): Promise<void> {
    const { path, execArgv } = childEntry();
    const child = fork(path, [], { serialization: 'advanced', execArgv, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    this.child = child;
    // libpcap and cap print warnings straight to stderr: route them through the logger instead.
    child.stderr!.setEncoding('utf8');
    let pendingText = '';
    child.stderr!.on('data', (text: string) => {
      pendingText += text;
      const lines = pendingText.split('\n');
      pendingText = lines.pop()!;
      for (const line of lines) {
        if (line.trim() === '') continue;
        if (/This may not actually work/.test(line)) this.ctx.logger.debug(line);
        else this.ctx.logger.warn(line);
      }
    });
    return new Promise<void>((resolve, reject) => {
      let isReady = false;
      child.on('message', (m: FromCapture) => {
        switch (m.type) {
          case 'ready':
            this.devices = m.devices;
            isReady = true;
            resolve();
            break;
          case 'batch':
            this.addCounters(m.counters);
            if (m.bytes.length > 4) this.push(decodeBatch(m.bytes));
            break;
          case 'error': {
            const error = toRepriseError(m.kind, m.message);
            if (!isReady) reject(error);
            else this.fail(error);
            break;
          }
          case 'end':
            this.addCounters(m.counters);
            break;
        }
      });
      child.on('exit', (code, signal) => {
        if (!isReady) {
          reject(new RepriseError('RPR_PLUGIN_FAILED', `the capture process exited (${signal ?? code}) before capturing`, { plugin: COMPONENT, phase: 'start' }));
        } else if (!this.isStopping && code !== 0) {
          this.fail(new RepriseError('RPR_PLUGIN_FAILED', `the capture process exited (${signal ?? code})`, { plugin: COMPONENT, phase: 'read' }));
        }
        this.isEnded = true;
        this.wake?.();
      });
      child.send({ type: 'start', config: this.config } satisfies ToCapture);
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
    if (this.isStopping || !this.child) return;
    this.isStopping = true;
    const child = this.child;
    if (child.connected) child.send({ type: 'stop' } satisfies ToCapture);
    // A capture process that does not finish in time is killed: close() must not hang.
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    timer.unref();
    child.once('exit', () => clearTimeout(timer));
  }

  async close(): Promise<void> {
    this.stop();
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => child.once('exit', () => resolve()));
    }
  }
}

function toRepriseError(kind: string, message: string): RepriseError {
  if (kind === 'permission') {
    return new RepriseError(
      'RPR_CAPTURE_PERMISSION',
      `${message}\nPacket capture needs root or the CAP_NET_RAW capability. Run as root (sudo), or grant it to node once:\n  sudo setcap cap_net_raw,cap_net_admin=eip $(which node)`,
      { plugin: COMPONENT, phase: 'start' },
    );
  }
  if (kind === 'device') return new RepriseError('RPR_INPUT_NOT_FOUND', message, { plugin: COMPONENT, phase: 'start' });
  if (kind === 'filter') return new RepriseError('RPR_CONFIG_INVALID', message, { plugin: COMPONENT, option: 'bpfFilter', phase: 'start' });
  return new RepriseError('RPR_PLUGIN_FAILED', message, { plugin: COMPONENT, phase: 'start' });
}
