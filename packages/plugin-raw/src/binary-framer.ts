/**
 * `--input-raw-protocol binary`: one direction of a TCP stream cut into bursts, with no protocol
 * framing. A burst is what one side sends before the other side answers (GoReplay keys a message by
 * the sender's acknowledgement number, which only moves when the peer sent data); the tracker ends
 * it with `flush()` at that point, and a burst left quiet for --input-raw-expire ends with its
 * connection. Bytes lost in a hole drop the burst they belong to.
 */
import type { FramerEvents } from './http-framer.js';

export class BinaryFramer {
  private parts: Uint8Array[] = [];
  private size = 0;
  private startSeconds = 0;
  private startNanoseconds = 0;
  private endSeconds = 0;
  private endNanoseconds = 0;

  constructor(private readonly events: FramerEvents) {}

  get hasData(): boolean {
    return this.size > 0;
  }

  push(bytes: Uint8Array, seconds: number, nanoseconds: number): void {
    if (bytes.length === 0) return;
    if (this.size === 0) {
      this.startSeconds = seconds;
      this.startNanoseconds = nanoseconds;
      this.events.started?.();
    }
    this.parts.push(bytes);
    this.size += bytes.length;
    this.endSeconds = seconds;
    this.endNanoseconds = nanoseconds;
  }

  /** The burst is over (the peer answered): hand it over. */
  flush(): void {
    if (this.size === 0) return;
    const payload = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [];
    this.size = 0;
    this.events.message({
      payload: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength),
      startSeconds: this.startSeconds,
      startNanoseconds: this.startNanoseconds,
      endSeconds: this.endSeconds,
      endNanoseconds: this.endNanoseconds,
      method: '',
      status: 0,
      asksForH2c: false,
    });
  }

  gap(): void {
    if (this.size > 0) this.events.lost('gap');
    this.parts = [];
    this.size = 0;
  }

  end(): void {
    this.flush();
  }
}
