import type { PluginStats } from '@reprise/core';

/** Counters of one component instance. `in`, `out`, `dropped`, `failed` always exist. */
export class InstanceStats implements PluginStats {
  readonly counters = new Map<string, number>([
    ['in', 0],
    ['out', 0],
    ['dropped', 0],
    ['failed', 0],
  ]);
  private lastOut = 0;
  private lastAtMs = Date.now();

  constructor(readonly label: string) {}

  add(counter: string, n = 1): void {
    this.counters.set(counter, (this.counters.get(counter) ?? 0) + n);
  }

  get(counter: string): number {
    return this.counters.get(counter) ?? 0;
  }

  /** Messages out per second since the previous call. */
  takeRate(nowMs = Date.now()): number {
    const out = this.get('out');
    const seconds = Math.max(0.001, (nowMs - this.lastAtMs) / 1000);
    const rate = (out - this.lastOut) / seconds;
    this.lastOut = out;
    this.lastAtMs = nowMs;
    return rate;
  }

  /** `in=10 out=10 dropped=0 failed=0 timeout=2` */
  format(): string {
    return [...this.counters].map(([name, value]) => `${name}=${value}`).join(' ');
  }
}

export function formatRate(perSecond: number): string {
  return perSecond >= 100 ? Math.round(perSecond).toLocaleString('en-US') : perSecond.toFixed(1);
}
