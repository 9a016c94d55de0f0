/**
 * `--input-raw-stats`: a capture stats line every interval, in the spirit of GoReplay's per-message
 * capture stats: totals and rates of what the capture counts (packets, losses…), and the messages
 * that came out with their sizes and response latencies. It sits between the capture and ctx.stats.
 */
import type { Message, PluginStats } from '@reprise/core';

interface Window {
  messages: number;
  bytes: number;
  maxBytes: number;
  responses: number;
  latencyNs: bigint;
  maxLatencyNs: bigint;
}

const emptyWindow = (): Window => ({ messages: 0, bytes: 0, maxBytes: 0, responses: 0, latencyNs: 0n, maxLatencyNs: 0n });

/** Counters worth a place on the line even at zero. */
const ALWAYS_SHOWN = ['packets', 'bytes', 'requests', 'responses'];

export class CaptureStats implements PluginStats {
  private readonly totals = new Map<string, number>();
  private readonly previous = new Map<string, number>();
  private window = emptyWindow();

  constructor(private readonly next: PluginStats) {}

  add(counter: string, n = 1): void {
    this.next.add(counter, n);
    this.totals.set(counter, (this.totals.get(counter) ?? 0) + n);
  }

  /** Messages handed to the pipeline. */
  observe(batch: readonly Message[]): void {
    const w = this.window;
    for (const m of batch) {
      w.messages++;
      w.bytes += m.payload.length;
      if (m.payload.length > w.maxBytes) w.maxBytes = m.payload.length;
      if (m.kind === 'response') {
        w.responses++;
        w.latencyNs += m.latency;
        if (m.latency > w.maxLatencyNs) w.maxLatencyNs = m.latency;
      }
    }
  }

  /** The line for the interval that just ended (`seconds` long), and a new interval begins. */
  line(seconds: number): string {
    const parts: string[] = [];
    for (const [name, total] of this.totals) {
      if (name === 'in' || name === 'out' || (total === 0 && !ALWAYS_SHOWN.includes(name))) continue;
      const delta = total - (this.previous.get(name) ?? 0);
      this.previous.set(name, total);
      parts.push(`${name}=${total} (${rate(delta, seconds)}/s)`);
    }
    for (const name of ALWAYS_SHOWN) if (!this.totals.has(name)) parts.push(`${name}=0 (0/s)`);
    const w = this.window;
    this.window = emptyWindow();
    parts.push(`messages=${w.messages} (${rate(w.messages, seconds)}/s)`);
    parts.push(`size avg=${w.messages ? Math.round(w.bytes / w.messages) : 0}B max=${w.maxBytes}B`);
    if (w.responses > 0) parts.push(`latency avg=${ms(w.latencyNs / BigInt(w.responses))} max=${ms(w.maxLatencyNs)}`);
    return `capture stats: ${parts.join(' ')}`;
  }

  /** Logs a line every `intervalMs`, and a last one for the rest of the interval when the returned function is called. */
  start(intervalMs: number, log: (line: string) => void): () => void {
    let lastAt = Date.now();
    const timer = setInterval(() => {
      lastAt = Date.now();
      log(this.line(intervalMs / 1000));
    }, intervalMs);
    timer.unref();
    return () => {
      clearInterval(timer);
      log(this.line((Date.now() - lastAt) / 1000));
    };
  }
}

function rate(n: number, seconds: number): string {
  const r = n / Math.max(seconds, 0.001);
  return r >= 100 ? r.toFixed(0) : r.toFixed(1);
}

function ms(ns: bigint): string {
  return `${(Number(ns) / 1e6).toFixed(2)}ms`;
}
