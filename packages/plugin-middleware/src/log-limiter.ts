/**
 * Lets at most `linesPerSecond` lines through per one-second window, so a script that logs every
 * message cannot flood reprise's log. The count of lines held back is told once the window ends.
 */
export class LogLimiter {
  private windowStartMs = 0;
  private linesInWindow = 0;
  private suppressed = 0;

  constructor(
    private readonly linesPerSecond: number,
    private readonly write: (line: string) => void,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Writes the line if the window allows it; returns false when it was held back. */
  line(text: string): boolean {
    this.roll();
    if (this.linesInWindow >= this.linesPerSecond) {
      this.suppressed++;
      return false;
    }
    this.linesInWindow++;
    this.write(text);
    return true;
  }

  /** Counts lines that were dropped before reaching the limiter (e.g. inside the sandbox). */
  skip(n: number): void {
    this.suppressed += n;
  }

  private roll(): void {
    const now = this.nowMs();
    if (now - this.windowStartMs < 1000) return;
    this.windowStartMs = now;
    this.linesInWindow = 0;
    if (this.suppressed > 0) {
      const n = this.suppressed;
      this.suppressed = 0;
      this.linesInWindow++;
      this.write(`(${n} log lines held back by the rate limit)`);
    }
  }
}
