/**
 * Runs a GoReplay external middleware: a child process (any language) fed hex lines on stdin that
 * writes hex lines back on stdout. stderr goes to the log; a crash is reported and the command restarted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { RepriseError, type Logger, type Message, type PluginStats } from '@reprise/core';
import { decodeMiddlewareLine, encodeMiddlewareLines, LineSplitter } from './middleware-line.js';
import { LogLimiter } from './log-limiter.js';

export interface ExternalMiddlewareOptions {
  command: string;
  /** Receives the messages read back, one batch per chunk read. */
  onMessages(batch: Message[]): void;
  logger: Logger;
  stats: PluginStats;
  /** How long `end()` waits for the command to finish writing before killing it. */
  flushTimeoutMs: number;
}

/** Restarts within this long of a start count as a crash loop: the next restart waits. */
const QUICK_CRASH_MS = 1000;
const CRASH_LOOP_DELAY_MS = 500;
/** A command that dies this many times in a row right after starting is given up on. */
const MAX_QUICK_CRASHES = 5;

export class ExternalMiddleware {
  private child: ChildProcess | undefined;
  private startedAtMs = 0;
  private quickCrashes = 0;
  private isEnding = false;
  private isClosed = false;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Set when the command keeps dying at start: the next write throws it, stopping the pipeline. */
  private fatal: RepriseError | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly stderrLog: LogLimiter;
  private readonly warnLog: LogLimiter;

  constructor(private readonly options: ExternalMiddlewareOptions) {
    this.stderrLog = new LogLimiter(50, (line) => options.logger.info(`[middleware] ${line}`));
    this.warnLog = new LogLimiter(10, (line) => options.logger.warn(line));
    this.start();
  }

  /** The child's pid, for tests and diagnostics. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private start(): void {
    const { command } = this.options;
    // Own process group, so the shell and whatever it started are stopped together.
    const child = spawn(command, { shell: true, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child = child;
    this.startedAtMs = Date.now();
    const out = new LineSplitter();
    const err = new LineSplitter();
    child.stdout!.setEncoding('latin1');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => this.readLines(out.push(chunk)));
    child.stdout!.on('end', () => {
      const rest = out.end();
      if (rest) this.readLines([rest]);
    });
    child.stderr!.on('data', (chunk: string) => {
      for (const line of err.push(chunk)) if (line) this.stderrLog.line(line);
    });
    child.stdin!.on('error', () => {
      // EPIPE when the command exits while we write: the exit handler reports it.
    });
    this.exited = new Promise((resolve) => {
      child.on('error', (error) => {
        this.warnLog.line(`middleware "${command}" could not start: ${error.message}`);
      });
      child.on('close', (code, signal) => {
        resolve();
        if (this.child === child) this.child = undefined;
        if (this.isEnding || this.isClosed) return;
        this.options.stats.add('middleware-restarts');
        this.options.stats.add('failed');
        this.warnLog.line(`middleware "${command}" exited (${signal ? `signal ${signal}` : `code ${code}`}); restarting it`);
        this.quickCrashes = Date.now() - this.startedAtMs < QUICK_CRASH_MS ? this.quickCrashes + 1 : 0;
        if (this.quickCrashes >= MAX_QUICK_CRASHES) {
          this.fatal = new RepriseError(
            'RPR_PLUGIN_FAILED',
            `the command "${command}" exited ${this.quickCrashes} times in a row within ${QUICK_CRASH_MS} ms of starting (last: ${signal ? `signal ${signal}` : `code ${code}`}); see its stderr above`,
            { plugin: 'middleware', phase: 'transform' },
          );
          return;
        }
        const delayMs = this.quickCrashes >= 3 ? CRASH_LOOP_DELAY_MS : 0;
        this.restartTimer = setTimeout(() => {
          this.restartTimer = undefined;
          if (!this.isEnding && !this.isClosed) this.start();
        }, delayMs);
      });
    });
  }

  private readLines(lines: string[]): void {
    const batch: Message[] = [];
    for (const line of lines) {
      if (line === '') continue;
      const decoded = decodeMiddlewareLine(line);
      if (decoded.message) batch.push(decoded.message);
      else {
        this.options.stats.add('middleware-bad-lines');
        this.warnLog.line(`middleware wrote a line reprise cannot read (${decoded.error}): ${line.slice(0, 60)}`);
      }
    }
    if (batch.length > 0) this.options.onMessages(batch);
  }

  /** Writes a batch; resolves when the child's stdin can take more (backpressure). */
  write(batch: readonly Message[]): void | Promise<void> {
    if (this.fatal) throw this.fatal;
    const child = this.child;
    if (!child?.stdin || child.stdin.destroyed || this.isEnding) {
      // Between a crash and the restart: these messages cannot be delivered.
      this.options.stats.add('failed', batch.length);
      this.options.stats.add('middleware-lost', batch.length);
      return;
    }
    if (child.stdin.write(encodeMiddlewareLines(batch))) return;
    return new Promise<void>((resolve) => {
      const done = () => {
        child.stdin!.off('drain', done);
        child.off('close', done);
        resolve();
      };
      child.stdin!.once('drain', done);
      child.once('close', done);
    });
  }

  /** Closes stdin and waits (bounded) for the command to write what it still holds and exit. */
  async end(): Promise<void> {
    if (this.isEnding) return this.exited;
    this.isEnding = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child) return;
    child.stdin!.end();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.flushTimeoutMs);
    });
    const result = await Promise.race([this.exited.then(() => 'exited' as const), timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.warnLog.line(
        `middleware "${this.options.command}" did not exit within ${this.options.flushTimeoutMs} ms of its input ending; stopping it`,
      );
      this.kill();
      await this.exited;
    }
  }

  /** Stops the command now. Idempotent. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.kill();
    await this.exited;
  }

  private kill(): void {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      child.kill('SIGTERM');
    }
  }
}
