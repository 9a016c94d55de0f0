/**
 * Reads what a child process writes, through a named pipe polled every few milliseconds. A normal
 * pipe wakes the event loop for every write; tcpdump -U writes once per packet, so under load that
 * is one wake-up and one JavaScript call per packet. Polling reads whatever gathered in one go.
 * Polls that find nothing back off: each costs a timer wake-up and a thrown EAGAIN, and tcpdump
 * hands packets over in blocks, so most polls are empty, even under load.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRATCH_BYTES = 1024 * 1024;

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
   * Polls every `intervalMs` while data comes, and less often, up to every `idleIntervalMs`, while none
   * does; each chunk is a fresh Buffer the receiver may keep. Polling stops at the end of the data.
   */
  start(onChunk: (chunk: Buffer) => void, intervalMs: number, idleIntervalMs: number): void {
    this.onChunk = onChunk;
    let delay = intervalMs;
    const poll = () => {
      const before = this.bytesRead;
      if (!this.drain()) return;
      delay = nextPollDelay(delay, this.bytesRead > before, intervalMs, idleIntervalMs);
      this.timer = setTimeout(poll, delay);
    };
    this.timer = setTimeout(poll, delay);
  }

  private onChunk: (chunk: Buffer) => void = () => {};

  /** Reads everything available now. Returns false once the writer has closed and all is read. */
  drain(): boolean {
    if (this.isClosed) return false;
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
    closeSync(this.readFd);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The wait before the next poll: the shortest after one that read something, doubling after each that did not. */
export function nextPollDelay(previousMs: number, gotData: boolean, intervalMs: number, idleIntervalMs: number): number {
  return gotData ? intervalMs : Math.min(idleIntervalMs, previousMs * 2);
}
