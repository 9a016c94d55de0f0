import { RepriseError } from './errors.js';
import type { Rate } from './plugin.js';

/**
 * Splits GoReplay's rate suffix off a component value: `http://staging|50%` → value
 * `http://staging`, rate 50 percent; `requests.gor|1000%`; `:8080|100` (100 per second).
 */
export function parseRateSuffix(text: string, where: string): { value: string; rate?: Rate } {
  const bar = text.lastIndexOf('|');
  if (bar < 0) return { value: text };
  const value = text.slice(0, bar);
  const suffix = text.slice(bar + 1).trim();
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(suffix);
  if (!m) {
    throw new RepriseError('RPR_CONFIG_INVALID', `rate suffix "|${suffix}" is neither |N (per second) nor |N% (examples: |100, |50%)`, {
      option: where,
    });
  }
  const n = Number(m[1]);
  if (m[2] === '%') return { value, rate: { kind: 'percent', value: n } };
  return { value, rate: { kind: 'per-second', value: n } };
}

/** Decides, message by message, whether a message passes a `|N` or `|N%` rate. Pure but for the clock and dice given. */
export class RateGate {
  private windowStartMs = 0;
  private countInWindow = 0;

  constructor(
    private readonly rate: Rate,
    private readonly nowMs: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  admit(): boolean {
    if (this.rate.kind === 'percent') {
      if (this.rate.value >= 100) return true;
      return this.random() * 100 < this.rate.value;
    }
    const now = this.nowMs();
    if (now - this.windowStartMs >= 1000) {
      this.windowStartMs = now;
      this.countInWindow = 0;
    }
    if (this.countInWindow >= this.rate.value) return false;
    this.countInWindow++;
    return true;
  }
}
