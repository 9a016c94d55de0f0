/**
 * Reads what a child process writes, through a named pipe. While data comes, the pipe is polled every
 * few milliseconds: tcpdump -U writes once per packet, so reacting to every write would be one wake-up
 * and one JavaScript call per packet under load, where a poll reads whatever gathered in one go. Once a
 * poll finds the pipe empty, the reader waits for the next write instead (the event loop watches the
 * pipe): an idle capture does not wake at all, and the first packets after a lull are read at once.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRATCH_BYTES = 1024 * 1024;

/**
 * Options for a worker thread that uses a FifoReader. Node closes, when a worker exits, every descriptor
 * the worker opened with fs.open and did not close with fs.close. The watcher closes the pipe's
 * descriptor itself (at the end of the data, or when destroyed), so that number would be closed a
 * second time, whatever holds it by then: another worker's event loop, which then aborted the process.
 * The reader closes its descriptors on every path (close()).
 */
export const FIFO_READER_WORKER_OPTIONS = { trackUnmanagedFds: false } as const;

export class FifoReader {
  readonly dir: string;
  private readonly readFd: number;
  /** The writing end, given to the child as its stdout; closed here once the child has it. */
  writeFd: number;
  private timer: NodeJS.Timeout | undefined;
  private bytesRead = 0;
  private readonly scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  private isClosed = false;

  constructor() {
    // The pid in the name tells whose pipe a leftover is.
    this.dir = mkdtempSync(join(tmpdir(), `reprise-capture-${process.pid}-`));
    const path = join(this.dir, 'packets.fifo');
    try {
      execFileSync('mkfifo', ['-m', '600', path]);
      // The reading end first (non-blocking, so open returns at once), then the writing end.
      this.readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      this.writeFd = openSync(path, constants.O_WRONLY);
    } catch (error) {
      rmSync(this.dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** After the child is spawned: our copy of the writing end must go, or the end of data is never seen. */
  releaseWriter(): void {
    if (this.writeFd >= 0) closeSync(this.writeFd);
    this.writeFd = -1;
  }

  /**
   * Polls every `intervalMs` while data comes, and waits for the next write once a poll finds none; each
   * chunk is a fresh Buffer the receiver may keep. Reading stops at the end of the data.
   */
  start(onChunk: (chunk: Buffer) => void, intervalMs: number): void {
    this.onChunk = onChunk;
    this.intervalMs = intervalMs;
    this.waitForData();
  }

  private onChunk: (chunk: Buffer) => void = () => {};
  private intervalMs = 0;
  /**
   * Watches the pipe between polls; made on the first wait, it then owns the descriptor (closing it
   * closes the pipe). It reads into the scratch buffer and stops after each read.
   */
  private watcher: Socket | undefined;
  /** The watcher saw the end of the data (and closes the descriptor itself). */
  private isEnded = false;

  private readonly poll = (): void => {
    this.timer = undefined;
    const before = this.bytesRead;
    if (!this.drain()) return;
    if (this.bytesRead > before) this.timer = setTimeout(this.poll, this.intervalMs);
    else this.waitForData();
  };

  private waitForData(): void {
    if (this.isClosed || this.isEnded) return;
    if (this.watcher !== undefined) {
      this.watcher.resume();
      return;
    }
    // `onread` (as net.connect documents it, which passes its options to this constructor): each read goes
    // to the callback, straight from the scratch buffer, and a false return stops reading at once.
    const options = {
      fd: this.readFd,
      readable: true,
      writable: false,
      onread: { buffer: this.scratch, callback: (n: number) => this.onWatchedData(n) },
    };
    this.watcher = new Socket(options);
    // Before the socket closes the descriptor on its own (at the end of the data): no read may use it after.
    this.watcher.on('end', () => {
      this.isEnded = true;
    });
    this.watcher.on('error', (error) => {
      throw error;
    });
  }

  /** A write arrived while waiting: hand it on, and poll again while more comes. */
  private onWatchedData(n: number): false {
    this.bytesRead += n;
    this.onChunk(Buffer.from(this.scratch.subarray(0, n)));
    if (!this.isClosed) this.timer = setTimeout(this.poll, this.intervalMs);
    return false; // stop watching until the polls find the pipe empty again
  }

  /** Reads everything available now. Returns false once the writer has closed and all is read. */
  drain(): boolean {
    if (this.isClosed || this.isEnded) return false;
    for (;;) {
      let n: number;
      // An empty pipe throws EAGAIN, and most polls find it empty: without a stack to capture, such a throw
      // costs a third as much (about 2 µs instead of 6). This thread's own limit, restored at once.
      const stackTraceLimit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      try {
        n = readSync(this.readFd, this.scratch, 0, SCRATCH_BYTES, null);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return true;
        throw error;
      } finally {
        Error.stackTraceLimit = stackTraceLimit;
      }
      if (n === 0) return false;
      this.bytesRead += n;
      // Copied out to its own size: what the receiver keeps must not pin the scratch buffer.
      this.onChunk(Buffer.from(this.scratch.subarray(0, n)));
      if (n < SCRATCH_BYTES) return true;
    }
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    clearTimeout(this.timer);
    this.releaseWriter();
    if (this.watcher !== undefined) this.watcher.destroy();
    else closeSync(this.readFd);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
